using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.DependencyInjection;

/// <summary>
/// Binds a client's options from a configuration section and records, instead of ignoring, keys that match no
/// option and values that cannot be converted. Validation reports them at startup with the full key path.
/// </summary>
internal sealed class ConfigurationBinding(string clientName, IConfiguration configuration) : IConfigureNamedOptions<ClientCertHttpOptions>
{
    public void Configure(ClientCertHttpOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, ClientCertHttpOptions options)
    {
        if (!string.Equals(name, clientName, StringComparison.Ordinal))
        {
            return;
        }

        var errors = options.ConfigurationErrors ??= [];
        options.ConfigurationPath = (configuration as IConfigurationSection)?.Path;

        try
        {
            configuration.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // The binder (source-generated: no reflection) names the key and the target type. Only non-secret values can
            // fail conversion: every secret is a string.
            errors.Add(ex.Message);
        }

        CollectUnknownKeys(configuration, errors);
    }

    internal static void CollectUnknownKeys(IConfiguration section, List<string> errors) =>
        CollectUnknownKeys(section, ConfigurationSchema.Client, errors);

    private static void CollectUnknownKeys(IConfiguration section, ConfigurationSchema.Section schema, List<string> errors)
    {
        foreach (var child in section.GetChildren())
        {
            if (!schema.Keys.TryGetValue(child.Key, out var key))
            {
                var suggestion = ClosestName(child.Key, schema.Keys.Keys);
                errors.Add(
                    $"the configuration key '{child.Path}' is not a ClientCertHttp setting"
                    + (suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")
                    + $". Known keys here: {string.Join(", ", schema.Keys.Keys.Order(StringComparer.Ordinal))}.");
                continue;
            }

            if (key.Section is { } nested)
            {
                CollectUnknownKeys(child, nested, errors);
            }
            else if (key.Entry is { } entry)
            {
                foreach (var item in child.GetChildren())
                {
                    CollectUnknownKeys(item, entry, errors);
                }
            }
            else if (!key.IsList && child.Value is null && child.GetChildren().Any())
            {
                // A value given as an object or an array is silently dropped by the binder. Only the key is named:
                // the nested values may be secrets (a password written as a list, say).
                errors.Add($"the configuration key '{child.Path}' takes a single value, but it has nested keys; write it as a plain value.");
            }
            else if (key.IsList && !string.IsNullOrEmpty(child.Value) && !child.GetChildren().Any())
            {
                // The binder silently ignores a single string given for a list; for pins and identities that would
                // drop a security setting without a word.
                errors.Add($"the configuration key '{child.Path}' is a list: write it as a JSON array ([ \"…\" ]) or as indexed keys ('{child.Path}:0'), not as a single value.");
            }
        }
    }

    private static string? ClosestName(string key, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(key.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }

        return bestDistance <= Math.Max(2, key.Length / 4) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), substitution);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
