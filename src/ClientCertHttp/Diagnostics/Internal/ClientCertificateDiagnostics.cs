using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;

namespace ClientCertHttp.Diagnostics;

internal sealed class ClientCertificateDiagnostics(
    ClientCertificateSources sources,
    FailureDiagnoser diagnoser) : IClientCertificateDiagnostics
{
    public ClientCertificateReadinessReport GetReadinessReport(string clientName)
    {
        // Not loaded yet (no host validated it at startup): this loads it, or throws its startup error.
        return sources.Get(clientName).ReadinessReport;
    }

    public async ValueTask<ClientCertificateReadinessReport> GetReadinessReportAsync(string clientName, string identity, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(identity);
        var entry = await sources.GetIdentities(clientName).GetAsync(identity, cancellationToken).ConfigureAwait(false);
        return entry.Source.ReadinessReport;
    }

    public IReadOnlyList<ClientCertificateReadinessReport> GetReadinessReports() =>
        sources.Started().Select(s => s.ReadinessReport).OrderBy(r => r.ClientName, StringComparer.Ordinal).ToArray();

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
        var treatForbidden = sources.Get(clientName).Options.Retry?.TreatForbiddenAsCertificateRejection ?? false;
        var classification = await Resilience.HttpFailureClassifier.ClassifyAsync(response, treatForbidden, cancellationToken).ConfigureAwait(false);
        return await diagnoser.DiagnoseAsync(clientName, response.RequestMessage?.RequestUri, classification, exception: null, response.StatusCode, cancellationToken).ConfigureAwait(false);
    }

    private void CheckClient(string clientName) => sources.Get(clientName);
}
