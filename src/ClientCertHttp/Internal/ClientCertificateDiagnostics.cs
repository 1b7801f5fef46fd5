using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Internal;

internal sealed class ClientCertificateDiagnostics(
    ClientCertHttpClientRegistry registry,
    ClientTlsStateCache cache,
    IOptionsMonitor<ClientCertHttpOptions> optionsMonitor,
    FailureDiagnoser diagnoser) : IClientCertificateDiagnostics
{
    public ClientCertificateReadinessReport GetReadinessReport(string clientName)
    {
        CheckClient(clientName);
        if (!cache.TryGetEntry(clientName, out var entry))
        {
            // Not loaded yet (no host validated it at startup): this loads it, or throws its startup error.
            entry = cache.GetOrCreate(clientName, optionsMonitor.Get(clientName));
        }

        return entry.ReadinessReport;
    }

    public IReadOnlyList<ClientCertificateReadinessReport> GetReadinessReports() =>
        cache.Entries.Select(e => e.ReadinessReport).OrderBy(r => r.ClientName, StringComparer.Ordinal).ToArray();

    public Task<ClientCertHttpFailureDiagnosis> DiagnoseAsync(string clientName, Uri requestUri, Exception exception, CancellationToken cancellationToken = default)
    {
        CheckClient(clientName);
        ArgumentNullException.ThrowIfNull(requestUri);
        ArgumentNullException.ThrowIfNull(exception);
        return diagnoser.DiagnoseAsync(clientName, requestUri, exception, cancellationToken);
    }

    public async Task<ClientCertHttpFailureDiagnosis> DiagnoseResponseAsync(string clientName, HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        CheckClient(clientName);
        ArgumentNullException.ThrowIfNull(response);
        var treatForbidden = optionsMonitor.Get(clientName).Retry?.TreatForbiddenAsCertificateRejection ?? false;
        var classification = await Resilience.HttpFailureClassifier.ClassifyAsync(response, treatForbidden, cancellationToken).ConfigureAwait(false);
        return await diagnoser.DiagnoseAsync(clientName, response.RequestMessage?.RequestUri, classification, exception: null, response.StatusCode, cancellationToken).ConfigureAwait(false);
    }

    private void CheckClient(string clientName)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientName);
        if (!registry.Contains(clientName))
        {
            throw new ArgumentException($"'{clientName}' is not an HTTP client registered with AddClientCertHttpClient or AddClientCertificate.", nameof(clientName));
        }
    }
}
