namespace ClientCertHttp.Internal;

/// <summary>
/// The names of the HTTP clients that AddClientCertHttpClient or AddClientCertificate configured. Filled while
/// services are registered, read-only once the container is built.
/// </summary>
internal sealed class ClientCertHttpClientRegistry
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public bool Add(string name) => _names.Add(name);

    public bool Contains(string name) => _names.Contains(name);

    public IReadOnlyCollection<string> Names => _names;
}
