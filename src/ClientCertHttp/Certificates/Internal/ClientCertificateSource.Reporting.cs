using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Certificates;

/// <summary>What the source reports about the certificate in use: the readiness report of each loaded certificate and the expiry warnings.</summary>
internal sealed partial class ClientCertificateSource
{
    private static readonly TimeSpan ExpiryLogInterval = TimeSpan.FromDays(1);

    private DateTimeOffset _lastExpiryLog = DateTimeOffset.MinValue;

    /// <summary>Logs a warning inside the expiry window and an error once expired, at most once a day (under the gate).</summary>
    internal void CheckExpiry()
    {
        var now = _timeProvider.GetUtcNow();
        if (now - _lastExpiryLog < ExpiryLogInterval || _current?.Certificate?.Certificate is not { } leaf || _options is not { } options)
        {
            return;
        }

        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        if (now >= notAfter)
        {
            _lastExpiryLog = now;
            Log.ClientCertificateExpired(_logger, ClientName, leaf.Subject, leaf.Thumbprint, notAfter);
        }
        else if (notAfter - now <= options.ExpiryWarningWindow)
        {
            _lastExpiryLog = now;
            Log.ClientCertificateExpiringSoon(_logger, ClientName, leaf.Subject, leaf.Thumbprint, notAfter, (notAfter - now).TotalDays);
        }
    }

    /// <summary>Makes and logs the readiness report of a freshly loaded certificate (once per certificate, never per request).</summary>
    private ClientCertificateReadinessReport? MakeReadinessReport(ClientTlsState state, ClientCertHttpOptions options)
    {
        if (state.Certificate is null)
        {
            // A per-identity client without a certificate of its own: each identity has its report.
            return null;
        }

        var report = ClientCertificateReadiness.Analyze(ClientName, state.Certificate, options, _timeProvider.GetUtcNow());
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var leaf = report.Certificate;
            var sent = string.Join(" <- ", report.SentChain.Select(c => $"'{c.Subject}' ({c.Thumbprint})"));
            var findings = report.Findings.Count == 0 ? "." : ": " + string.Join(" ", report.Findings.Select(f => $"[{f.Severity} {f.Code}] {f.Message}"));
            Log.ClientCertificateReadiness(
                _logger,
                ClientName,
                report.Status,
                leaf.Subject,
                leaf.Thumbprint,
                leaf.KeyAlgorithm,
                leaf.KeySize,
                leaf.NotBefore,
                leaf.NotAfter,
                report.Source,
                sent,
                report.ChainStatus,
                report.UsageVerdict,
                report.Findings.Count,
                findings);
            foreach (var finding in report.Findings)
            {
                Log.ClientCertificateReadinessFinding(_logger, ClientName, finding.Severity, finding.Code, finding.Message);
            }
        }

        return report;
    }
}
