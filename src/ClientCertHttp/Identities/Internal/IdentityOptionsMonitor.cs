using ClientCertHttp.Certificates;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Identities;

/// <summary>
/// The options of one identity, as its <see cref="ClientCertificateSource"/> sees them: the client's options with the
/// identity's certificate in place of the client's own. Follows the client's options: a configuration reload reaches
/// every loaded identity, which reloads like a client does.
/// </summary>
internal sealed class IdentityOptionsMonitor(
    IOptionsMonitor<ClientCertHttpOptions> client,
    string clientName,
    string identity,
    Func<ClientCertHttpOptions, string, ClientCertificateOptions?> resolve) : IOptionsMonitor<ClientCertHttpOptions>
{
    private Tuple<ClientCertHttpOptions, ClientCertHttpOptions>? _last;

    public ClientCertHttpOptions CurrentValue => Get(clientName);

    public ClientCertHttpOptions Get(string? name)
    {
        var options = client.Get(clientName);
        var last = Volatile.Read(ref _last);
        if (last is not null && ReferenceEquals(last.Item1, options))
        {
            return last.Item2;
        }

        var composed = Compose(options, identity, resolve(options, identity));
        Volatile.Write(ref _last, Tuple.Create(options, composed));
        return composed;
    }

    public IDisposable? OnChange(Action<ClientCertHttpOptions, string?> listener) =>
        client.OnChange((options, name) =>
        {
            if (string.Equals(name ?? Options.DefaultName, clientName, StringComparison.Ordinal))
            {
                listener(Get(clientName), clientName);
            }
        });

    /// <summary>Makes the options of <paramref name="identity"/> from the client's: every setting but the certificate is the client's.</summary>
    internal static ClientCertHttpOptions Compose(ClientCertHttpOptions client, string identity, ClientCertificateOptions? certificate) => new()
    {
        BaseAddress = client.BaseAddress,

        // An identity that is no longer configured has no source: its reload fails and it keeps its last certificate
        // until the pool unloads it.
        Certificate = certificate ?? new ClientCertificateOptions { ProviderTimeout = client.Certificate?.ProviderTimeout ?? new ClientCertificateOptions().ProviderTimeout },
        ServerTrust = client.ServerTrust,
        Reload = client.Reload,
        ExpiryWarningWindow = client.ExpiryWarningWindow,
        Retry = client.Retry,
        Warmup = client.Warmup,
        Identities = client.Identities,
        ConfigurationPath = client.ConfigurationPath,
        IdentityName = identity,
    };
}
