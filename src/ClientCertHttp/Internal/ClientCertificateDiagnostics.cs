using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Internal;

internal sealed class ClientCertificateDiagnostics(
    ClientCertHttpClientRegistry registry,
    ClientTlsStateCache cache,
    IOptionsMonitor<ClientCertHttpOptions> optionsMonitor) : IClientCertificateDiagnostics
{
    public ClientCertificateReadinessReport GetReadinessReport(string clientName)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientName);
        if (!registry.Contains(clientName))
        {
            throw new ArgumentException($"'{clientName}' is not an HTTP client registered with AddClientCertHttpClient or AddClientCertificate.", nameof(clientName));
        }

        if (!cache.TryGetEntry(clientName, out var entry))
        {
            // Not loaded yet (no host validated it at startup): this loads it, or throws its startup error.
            entry = cache.GetOrCreate(clientName, optionsMonitor.Get(clientName));
        }

        return entry.ReadinessReport;
    }

    public IReadOnlyList<ClientCertificateReadinessReport> GetReadinessReports() =>
        cache.Entries.Select(e => e.ReadinessReport).OrderBy(r => r.ClientName, StringComparer.Ordinal).ToArray();
}
