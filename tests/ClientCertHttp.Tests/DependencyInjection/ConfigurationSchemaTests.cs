using System.Reflection;
using ClientCertHttp.DependencyInjection;

namespace ClientCertHttp.Tests.DependencyInjection;

/// <summary>
/// The unknown-key check reads a written-out schema (no reflection in the library, which is compiled ahead of time):
/// this test reflects over the options types so that the schema can never fall behind them.
/// </summary>
public sealed class ConfigurationSchemaTests
{
    [Fact]
    public void Schema_MatchesTheOptionsTypes_KeyForKey()
    {
        Describe(ConfigurationSchema.Client).Should().Equal(Describe(typeof(ClientCertHttpOptions), string.Empty));
    }

    private static List<string> Describe(Type type, string prefix)
    {
        var keys = new List<string>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var path = prefix + property.Name;
            var propertyType = property.PropertyType;
            if (propertyType.IsClass && propertyType != typeof(string) && propertyType.Assembly == typeof(ClientCertHttpOptions).Assembly)
            {
                keys.Add(path + " (section)");
                keys.AddRange(Describe(propertyType, path + ":"));
            }
            else if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(IDictionary<,>))
            {
                keys.Add(path + " (map)");
                keys.AddRange(Describe(propertyType.GetGenericArguments()[1], path + ":*:"));
            }
            else if (propertyType != typeof(string) && typeof(IEnumerable<string>).IsAssignableFrom(propertyType))
            {
                keys.Add(path + " (list)");
            }
            else
            {
                keys.Add(path);
            }
        }

        return keys;
    }

    private static List<string> Describe(ConfigurationSchema.Section section, string prefix = "")
    {
        var keys = new List<string>();
        foreach (var key in section.Keys.Values.OrderBy(k => k.Name, StringComparer.Ordinal))
        {
            var path = prefix + key.Name;
            if (key.Section is { } nested)
            {
                keys.Add(path + " (section)");
                keys.AddRange(Describe(nested, path + ":"));
            }
            else if (key.Entry is { } entry)
            {
                keys.Add(path + " (map)");
                keys.AddRange(Describe(entry, path + ":*:"));
            }
            else
            {
                keys.Add(key.IsList ? path + " (list)" : path);
            }
        }

        return keys;
    }
}
