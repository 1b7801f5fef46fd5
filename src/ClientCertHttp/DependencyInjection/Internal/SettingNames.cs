namespace ClientCertHttp.DependencyInjection;

/// <summary>
/// Names the setting a message talks about the way the user wrote it: the full configuration key when the
/// options were bound from configuration, the options key otherwise.
/// </summary>
internal readonly record struct SettingNames(string ClientName, string? ConfigurationPath)
{
    public static SettingNames For(string clientName, ClientCertHttpOptions options) => new(clientName, options.ConfigurationPath);

    public string this[string relativeKey] =>
        ConfigurationPath is null ? relativeKey : ConfigurationPath + ":" + relativeKey;

    public string Prefix => $"HTTP client '{ClientName}'";
}
