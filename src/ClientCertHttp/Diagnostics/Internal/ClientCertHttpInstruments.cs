using System.Diagnostics.Metrics;
using System.Security.Authentication;
using ClientCertHttp.Certificates;
using ClientCertHttp.Resilience;
using ClientCertHttp.Trust;

namespace ClientCertHttp.Diagnostics;

/// <summary>The instruments of the <c>ClientCertHttp</c> meter, created once per service provider.</summary>
internal sealed class ClientCertHttpInstruments
{
    // Owned and disposed by the meter factory; kept here so the instruments' meter is plainly alive as long as they are.
    private readonly Meter _meter;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _selections;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _serverRejections;
    private readonly Counter<long> _clientRejections;
    private readonly Histogram<double> _handshakeDuration;
    private readonly Func<IEnumerable<ClientCertificateSource>> _sources;

    public ClientCertHttpInstruments(IMeterFactory meterFactory, TimeProvider timeProvider, Func<IEnumerable<ClientCertificateSource>> sources)
    {
        _sources = sources;
        _meter = meterFactory.Create(ClientCertHttpMetrics.MeterName);
        var meter = _meter;
        _reloads = meter.CreateCounter<long>(ClientCertHttpMetrics.Reloads, "{reload}", "Certificate reload attempts.");
        _selections = meter.CreateCounter<long>(ClientCertHttpMetrics.Selections, "{selection}", "Certificates loaded and selected for a client.");
        _failures = meter.CreateCounter<long>(ClientCertHttpMetrics.RequestFailures, "{request}", "Requests that ended in a failure, by failure category.");
        _serverRejections = meter.CreateCounter<long>(ClientCertHttpMetrics.ServerCertificateRejections, "{rejection}", "Server certificates rejected by this client's trust checks, by reason.");
        _clientRejections = meter.CreateCounter<long>(ClientCertHttpMetrics.ClientCertificateRejections, "{rejection}", "Requests whose client certificate the server rejected, by TLS alert.");
        _handshakeDuration = meter.CreateHistogram(
            ClientCertHttpMetrics.TlsHandshakeDuration,
            "s",
            "Duration of the TLS handshakes of this library's connections, from TCP connected to handshake completed.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10] });
        meter.CreateObservableGauge(
            ClientCertHttpMetrics.TimeToExpiry,
            () => Observe(timeProvider.GetUtcNow()),
            "s",
            "Time left until the client certificate in use expires.");
    }

    public void Reloaded(string clientName, string result) =>
        _reloads.Add(1, new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, clientName), new KeyValuePair<string, object?>(ClientCertHttpMetrics.ResultTag, result));

    public void Selected(string clientName, string trigger) =>
        _selections.Add(1, new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, clientName), new KeyValuePair<string, object?>(ClientCertHttpMetrics.TriggerTag, trigger));

    /// <summary>Gets a value indicating whether anything listens to the handshake duration, so timestamps are worth taking.</summary>
    public bool TlsHandshakeDurationEnabled => _handshakeDuration.Enabled;

    /// <summary>Counts a request that ended in a failure; a client-certificate rejection is also counted by its alert.</summary>
    public void RequestFailed(string clientName, HttpFailureClassification classification, Exception? exception)
    {
        if (classification.Category is HttpFailureCategory.None or HttpFailureCategory.Canceled)
        {
            return;
        }

        var client = new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, clientName);
        _failures.Add(1, client, new KeyValuePair<string, object?>(ClientCertHttpMetrics.FailureCategoryTag, TagValue(classification.Category)));
        if (classification.Category == HttpFailureCategory.ClientCertificateRejected && _clientRejections.Enabled)
        {
            var alert = exception is null ? null : HttpFailureClassifier.FindTlsAlert(exception);
            _clientRejections.Add(1, client, new KeyValuePair<string, object?>(ClientCertHttpMetrics.TlsAlertTag, AlertTagValue(alert)));
        }
    }

    /// <summary>Counts a server certificate the client's trust checks rejected (once per handshake).</summary>
    public void ServerCertificateRejected(string clientName, ServerCertificateFailureReason reason) =>
        _serverRejections.Add(
            1,
            new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, clientName),
            new KeyValuePair<string, object?>(ClientCertHttpMetrics.ServerCertificateFailureReasonTag, TagValue(reason)));

    /// <summary>Records one completed TLS handshake.</summary>
    public void TlsHandshakeCompleted(string clientName, SslProtocols protocol, TimeSpan duration) =>
        _handshakeDuration.Record(
            duration.TotalSeconds,
            new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, clientName),
            new KeyValuePair<string, object?>(ClientCertHttpMetrics.TlsProtocolVersionTag, TagValue(protocol)));

    // Constant strings, so a measurement allocates no tag value and the tag's values stay few.
    internal static string TagValue(HttpFailureCategory category) => category switch
    {
        HttpFailureCategory.None => "none",
        HttpFailureCategory.Transient => "transient",
        HttpFailureCategory.ClientCertificateRejected => "client_certificate_rejected",
        HttpFailureCategory.ServerCertificateRejected => "server_certificate_rejected",
        HttpFailureCategory.TlsHandshakeFailed => "tls_handshake_failed",
        HttpFailureCategory.NonTransientStatusCode => "non_transient_status_code",
        HttpFailureCategory.Canceled => "canceled",
        HttpFailureCategory.Unclassified => "unclassified",
        _ => ClientCertHttpMetricValues.Other,
    };

    internal static string TagValue(ServerCertificateFailureReason reason) => reason switch
    {
        ServerCertificateFailureReason.InvalidChain => "invalid_chain",
        ServerCertificateFailureReason.NoCertificate => "no_certificate",
        ServerCertificateFailureReason.UntrustedRoot => "untrusted_root",
        ServerCertificateFailureReason.PartialChain => "partial_chain",
        ServerCertificateFailureReason.Expired => "expired",
        ServerCertificateFailureReason.NotYetValid => "not_yet_valid",
        ServerCertificateFailureReason.NotValidForServerAuthentication => "not_valid_for_server_authentication",
        ServerCertificateFailureReason.NameMismatch => "name_mismatch",
        ServerCertificateFailureReason.PinMismatch => "pin_mismatch",
        ServerCertificateFailureReason.IdentityNotAllowed => "identity_not_allowed",
        ServerCertificateFailureReason.Revoked => "revoked",
        ServerCertificateFailureReason.RevocationUnknown => "revocation_unknown",
        ServerCertificateFailureReason.ValidatorRejected => "validator_rejected",
        ServerCertificateFailureReason.WeakSignatureAlgorithm => "weak_signature_algorithm",
        ServerCertificateFailureReason.WeakKey => "weak_key",
        ServerCertificateFailureReason.MissingSubjectAlternativeName => "missing_subject_alternative_name",
        ServerCertificateFailureReason.CertificateAuthorityAsServerCertificate => "certificate_authority_as_server_certificate",
        ServerCertificateFailureReason.NameConstraintViolation => "name_constraint_violation",
        ServerCertificateFailureReason.MissingServerAuthenticationUsage => "missing_server_authentication_usage",
        ServerCertificateFailureReason.CertificateSigningKeyAsServerCertificate => "certificate_signing_key_as_server_certificate",
        _ => ClientCertHttpMetricValues.Other,
    };

    /// <summary>The alert in RFC 8446's words; only the certificate alerts the classifier recognizes reach here.</summary>
    internal static string AlertTagValue(string? alert) => alert switch
    {
        null => ClientCertHttpMetricValues.NoAlert,
        "bad certificate" => "bad_certificate",
        "unsupported certificate" => "unsupported_certificate",
        "certificate revoked" => "certificate_revoked",
        "certificate expired" => "certificate_expired",
        "certificate unknown" => "certificate_unknown",
        "unknown ca" => "unknown_ca",
        "access denied" => "access_denied",
        "certificate required" => "certificate_required",
        _ => ClientCertHttpMetricValues.Other,
    };

#pragma warning disable CA5397, CA5398 // Names versions for a tag; nothing here chooses a protocol.
    internal static string TagValue(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "1.3",
        SslProtocols.Tls12 => "1.2",
        _ => ClientCertHttpMetricValues.Other,
    };
#pragma warning restore CA5397, CA5398

    private List<Measurement<double>> Observe(DateTimeOffset now)
    {
        List<Measurement<double>> measurements = [];
        try
        {
            foreach (var source in _sources())
            {
                if (source.Current.Certificate is not { } loaded)
                {
                    continue;
                }

                var notAfter = loaded.Certificate.NotAfter.ToUniversalTime();
                measurements.Add(new Measurement<double>(
                    (notAfter - now.UtcDateTime).TotalSeconds,
                    new KeyValuePair<string, object?>(ClientCertHttpMetrics.ClientNameTag, source.ClientName)));
            }
        }
        catch (ObjectDisposedException)
        {
            // Collected while the application's services are being disposed: nothing left to report.
        }

        return measurements;
    }
}
