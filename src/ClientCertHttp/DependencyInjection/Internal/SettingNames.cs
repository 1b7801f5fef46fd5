namespace ClientCertHttp.DependencyInjection;

/// <summary>
/// Names the setting a message talks about the way the user wrote it: the full configuration key when the
/// options were bound from configuration, the options key otherwise.
/// </summary>
internal readonly record struct SettingNames(string ClientName, string? ConfigurationPath, string? Identity = null)
{
    private const string CertificateKey = "Certificate:";

    public static SettingNames For(string clientName, ClientCertHttpOptions options) => new(clientName, options.ConfigurationPath, options.IdentityName);

    public string this[string relativeKey]
    {
        get
        {
            // An identity's certificate settings live under Identities:Certificates:<identity>, not under Certificate.
            if (Identity is not null && relativeKey.StartsWith(CertificateKey, StringComparison.Ordinal))
            {
                relativeKey = $"Identities:Certificates:{Identity}:{relativeKey[CertificateKey.Length..]}";
            }

            return ConfigurationPath is null ? relativeKey : ConfigurationPath + ":" + relativeKey;
        }
    }

    public string Prefix => Identity is null ? $"HTTP client '{ClientName}'" : $"HTTP client '{ClientName}', identity '{Identity}'";
}
