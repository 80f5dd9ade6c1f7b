using LlmServe.Messaging.Protocol;

namespace LlmServe.Messaging.Connection;

/// <summary>One server from <see cref="NatsBusOptions.Url"/>, with the credentials its URL carried.</summary>
internal sealed record NatsServerAddress(string Host, int Port, bool TlsScheme, ConnectCredentials UrlCredentials)
{
    public const int DefaultPort = 4222;

    public static IReadOnlyList<NatsServerAddress> ParseList(string urls, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(urls))
        {
            throw new ArgumentException("At least one server URL is required.", parameterName);
        }

        var result = new List<NatsServerAddress>();
        foreach (var part in urls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result.Add(Parse(part, parameterName));
        }

        return result;
    }

    public static NatsServerAddress Parse(string url, string parameterName)
    {
        var text = url.Contains("://", StringComparison.Ordinal) ? url : "nats://" + url;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"'{url}' is not a valid server URL.", parameterName);
        }

        var tls = uri.Scheme switch
        {
            "nats" => false,
            "tls" => true,
            _ => throw new ArgumentException($"'{url}' has scheme '{uri.Scheme}'; use nats:// or tls://.", parameterName),
        };
        if (uri.AbsolutePath is not ("" or "/"))
        {
            throw new ArgumentException($"'{url}' must not have a path.", parameterName);
        }

        ConnectCredentials credentials = default;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            credentials = colon < 0
                ? new ConnectCredentials(null, null, Uri.UnescapeDataString(uri.UserInfo))
                : new ConnectCredentials(
                    Uri.UnescapeDataString(uri.UserInfo[..colon]), Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]), null);
        }

        return new NatsServerAddress(uri.IdnHost, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, tls, credentials);
    }

    public override string ToString() => $"{(TlsScheme ? "tls" : "nats")}://{Host}:{Port}";
}
