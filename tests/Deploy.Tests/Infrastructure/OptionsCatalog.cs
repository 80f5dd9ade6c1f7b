using System.Collections;
using System.Globalization;
using System.Reflection;
using LlmServe.Detokenizer;
using LlmServe.Gateway.Configuration;
using LlmServe.Hosting;
using LlmServe.Messaging.Hosting;
using LlmServe.Scheduler.Service;
using LlmServe.Tokenizer;
using LlmServe.Worker;

namespace LlmServe.Deploy.Tests.Infrastructure;

/// <summary>
/// Maps configuration keys written as environment variables (<c>Worker__KvCacheMemoryMiB</c>) onto the real
/// options types, the way Microsoft.Extensions.Configuration binds them, so a typo is caught here.
/// </summary>
public static class OptionsCatalog
{
    /// <summary>Section name → options type, per the types' own SectionName constants.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [GatewayOptions.SectionName] = typeof(GatewayOptions),
        [TokenizerServiceOptions.SectionName] = typeof(TokenizerServiceOptions),
        [SchedulerOptions.SectionName] = typeof(SchedulerOptions),
        [WorkerOptions.SectionName] = typeof(WorkerOptions),
        [DetokenizerOptions.SectionName] = typeof(DetokenizerOptions),
        [MessagingOptions.SectionName] = typeof(MessagingOptions),
        [ServiceDefaultsOptions.SectionName] = typeof(ServiceDefaultsOptions),
    };

    /// <summary>Sections each service binds: its own plus the shared ones.</summary>
    public static IReadOnlyList<string> SectionsOf(string service) =>
        [service, MessagingOptions.SectionName, ServiceDefaultsOptions.SectionName];

    /// <summary>Environment variables that are read by the runtime or an image rather than an options type.</summary>
    public static bool IsRuntimeVariable(string name) =>
        name.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || name.StartsWith("DOTNET_", StringComparison.Ordinal)
        || name.StartsWith("NVIDIA_", StringComparison.Ordinal) || name is "TMPDIR";

    /// <summary>
    /// Null when <paramref name="key"/> binds to a property of <paramref name="service"/>'s options and
    /// <paramref name="value"/> (when literal) converts to its type; otherwise why not.
    /// </summary>
    public static string? Check(string service, string key, string? value)
    {
        string[] parts = key.Split("__");
        if (parts.Length < 2 || !Sections.TryGetValue(parts[0], out var type))
        {
            return $"{key}: no options section '{parts[0]}'";
        }
        if (!SectionsOf(service).Contains(parts[0], StringComparer.Ordinal))
        {
            return $"{key}: section {parts[0]} is not read by the {service} service";
        }
        for (int i = 1; i < parts.Length; i++)
        {
            string part = parts[i];
            if (TryElementType(type, out var element, out bool keyed))
            {
                if (!keyed && !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    return $"{key}: '{part}' must be a list index";
                }
                type = element;
                continue;
            }
            var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                return $"{key}: {type.Name} has no property '{part}'";
            }
            if (!property.CanWrite && !IsCollection(property.PropertyType))
            {
                return $"{key}: {type.Name}.{property.Name} is read-only";
            }
            type = property.PropertyType;
        }
        if (!IsScalar(type))
        {
            return $"{key}: {type.Name} is not a single value";
        }
        return value is null || value.Contains('$', StringComparison.Ordinal) ? null : CheckValue(key, type, value);
    }

    private static string? CheckValue(string key, Type type, string value)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        bool ok = target switch
        {
            _ when target == typeof(string) => true,
            _ when target == typeof(int) => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            _ when target == typeof(long) => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            _ when target == typeof(double) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
            _ when target == typeof(bool) => bool.TryParse(value, out _),
            _ when target == typeof(TimeSpan) => TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _),
            _ when target.IsEnum => Enum.TryParse(target, value, ignoreCase: true, out _),
            _ => false,
        };
        return ok ? null : $"{key}: '{value}' is not a valid {target.Name}";
    }

    private static bool IsScalar(Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        return target.IsPrimitive || target.IsEnum || target == typeof(string) || target == typeof(TimeSpan) || target == typeof(decimal);
    }

    private static bool IsCollection(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);

    private static bool TryElementType(Type type, out Type element, out bool keyed)
    {
        element = typeof(object);
        keyed = false;
        if (!IsCollection(type))
        {
            return false;
        }
        var dictionary = type.GetInterfaces().Append(type)
            .FirstOrDefault(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        if (dictionary is not null)
        {
            keyed = true;
            element = dictionary.GetGenericArguments()[1];
            return true;
        }
        var enumerable = type.GetInterfaces().Append(type)
            .FirstOrDefault(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        element = enumerable?.GetGenericArguments()[0] ?? typeof(object);
        return true;
    }
}
