namespace ClientCertHttp.DependencyInjection;

/// <summary>
/// The names of the HTTP clients that AddClientCertHttpClient or AddClientCertificate configured. Filled while
/// services are registered, read-only once the container is built.
/// </summary>
internal sealed class ClientCertHttpClientRegistry
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public bool Add(string name) => _names.Add(name);

    private readonly Dictionary<string, int> _providers = new(StringComparer.Ordinal);

    public bool Contains(string name) => _names.Contains(name);

    /// <summary>Records an AddCertificateProvider call; more than one per client is reported at startup.</summary>
    public void AddProvider(string name) => _providers[name] = ProviderCount(name) + 1;

    public int ProviderCount(string name) => _providers.GetValueOrDefault(name);

    private readonly Dictionary<string, int> _identityProviders = new(StringComparer.Ordinal);

    /// <summary>Records an AddClientCertificateIdentityProvider call; more than one per client is reported at startup.</summary>
    public void AddIdentityProvider(string name) => _identityProviders[name] = IdentityProviderCount(name) + 1;

    public int IdentityProviderCount(string name) => _identityProviders.GetValueOrDefault(name);

    public IReadOnlyCollection<string> Names => _names;
}
