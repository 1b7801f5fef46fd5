using ClientCertHttp.Diagnostics;

namespace ClientCertHttp.Certificates;

/// <summary>Reloads through the client's <see cref="ClientCertificateSource"/>: one shared reload on the thread pool.</summary>
internal sealed class ClientCertificateReloader(ClientCertificateSources sources) : IClientCertificateReloader
{
    public Task<ClientCertificateReloadResult> ReloadAsync(string clientName, CancellationToken cancellationToken = default)
    {
        var source = sources.Get(clientName);
        cancellationToken.ThrowIfCancellationRequested();

        // Not started yet (no host validated it at startup): this loads it, or throws its startup error.
        return source.ReloadAsync(ClientCertHttpMetricValues.ManualTrigger, cancellationToken);
    }
}
