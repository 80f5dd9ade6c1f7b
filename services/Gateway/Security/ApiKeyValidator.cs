using System.Security.Cryptography;
using System.Text;
using LlmServe.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.Security;

/// <summary>
/// Checks bearer keys against the configured ones in constant time. Keys are compared as SHA-256 digests so
/// every comparison has the same length, and every configured key is compared so timing tells nothing.
/// </summary>
public sealed class ApiKeyValidator
{
    private readonly byte[][] _digests;

    public ApiKeyValidator(IOptions<GatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _digests = options.Value.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k))).ToArray();
    }

    public bool Enabled => _digests.Length > 0;

    /// <summary>Returns a stable, non-secret id of the matching key (for rate-limit partitions), or null.</summary>
    public string? Validate(ReadOnlySpan<char> presented)
    {
        Span<byte> utf8 = presented.Length <= 256 ? stackalloc byte[presented.Length * 3] : new byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
        int length = Encoding.UTF8.GetBytes(presented, utf8);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], digest);
        int match = -1;
        for (int i = 0; i < _digests.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, _digests[i]))
            {
                match = i;
            }
        }
        return match < 0 ? null : "key-" + Convert.ToHexStringLower(_digests[match].AsSpan(0, 6));
    }
}
