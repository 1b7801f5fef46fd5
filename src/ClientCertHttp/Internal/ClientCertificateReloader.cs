using Microsoft.Extensions.Options;

namespace ClientCertHttp.Internal;

internal sealed class ClientCertificateReloader(
    ClientCertHttpClientRegistry registry,
    ClientTlsStateCache cache,
    IOptionsMonitor<ClientCertHttpOptions> optionsMonitor) : IClientCertificateReloader
{
    public Task<ClientCertificateReloadResult> ReloadAsync(string clientName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientName);
        if (!registry.Contains(clientName))
        {
            throw new ArgumentException($"'{clientName}' is not an HTTP client registered with AddClientCertHttpClient or AddClientCertificate.", nameof(clientName));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!cache.TryGetEntry(clientName, out var entry))
        {
            // Not loaded yet (no host validated it at startup): this loads it, or throws its startup error.
            entry = cache.GetOrCreate(clientName, optionsMonitor.Get(clientName));
        }

        return Task.FromResult(entry.Reload(entry.Options, ClientCertificateEntry.ManualTrigger));
    }
}
