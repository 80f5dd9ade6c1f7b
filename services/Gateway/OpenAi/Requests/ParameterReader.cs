using System.Globalization;
using System.Text.Json;
using LlmServe.Gateway.Errors;

namespace LlmServe.Gateway.OpenAi.Requests;

/// <summary>
/// Typed, range-checked reads of top-level request fields. Every failure is an <see cref="ApiException"/>
/// (400) that names the parameter, so clients learn exactly which field was wrong.
/// </summary>
internal readonly struct ParameterReader(JsonElement root)
{
    public JsonElement Root { get; } = root;

    /// <summary>The field's value, or null when absent or JSON null (OpenAI treats null as "not given").</summary>
    public JsonElement? Get(string name) =>
        Root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public bool Has(string name) => Get(name) is not null;

    public string? String(string name) => Get(name) is { } v ? AsString(v, name) : null;

    public bool Bool(string name, bool fallback) => Get(name) is { } v ? AsBool(v, name) : fallback;

    public double Number(string name, double fallback, double min, double max, bool minExclusive = false)
    {
        if (Get(name) is not { } v)
        {
            return fallback;
        }
        double value = AsNumber(v, name);
        if (value < min || value > max || (minExclusive && value <= min))
        {
            string low = minExclusive ? $"greater than {Fmt(min)}" : $"at least {Fmt(min)}";
            throw Invalid($"'{name}' must be {low} and at most {Fmt(max)}, got {Fmt(value)}.", name);
        }
        return value;
    }

    public long? Integer(string name, long min, long max)
    {
        if (Get(name) is not { } v)
        {
            return null;
        }
        long value = AsInteger(v, name);
        if (value < min || value > max)
        {
            throw Invalid($"'{name}' must be between {min} and {max}, got {value}.", name);
        }
        return value;
    }

    public static string AsString(JsonElement v, string param)
    {
        if (v.ValueKind != JsonValueKind.String)
        {
            throw Invalid($"'{param}' must be a string.", param);
        }
        return v.GetString()!;
    }

    public static bool AsBool(JsonElement v, string param) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Invalid($"'{param}' must be a boolean.", param),
    };

    public static double AsNumber(JsonElement v, string param)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double value) || !double.IsFinite(value))
        {
            throw Invalid($"'{param}' must be a finite number.", param);
        }
        return value;
    }

    /// <summary>An integer; integral floats such as 5.0 are accepted as Pydantic does.</summary>
    public static long AsInteger(JsonElement v, string param)
    {
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (v.TryGetInt64(out long exact))
            {
                return exact;
            }
            if (v.TryGetDouble(out double d) && double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9.0e15)
            {
                return (long)d;
            }
        }
        throw Invalid($"'{param}' must be an integer in range.", param);
    }

    public static ApiException Invalid(string message, string param) => new(ErrorCatalog.InvalidRequest(message, param));

    private static string Fmt(double d) => d.ToString(CultureInfo.InvariantCulture);
}
