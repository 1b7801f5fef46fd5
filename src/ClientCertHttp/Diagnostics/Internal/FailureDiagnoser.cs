using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Resilience;
using ClientCertHttp.Trust;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Diagnostics;

/// <summary>
/// Explains a failed request: which side failed and the evidence. Runs only on failure paths. When the failure leaves
/// a doubt (a rejected certificate, a refused request), one diagnostic handshake (<see cref="TlsHandshakeProbe"/>),
/// bounded by <see cref="ProbeTimeout"/>, asks the server whether it wants a certificate and from which CAs; the
/// result is shared by concurrent failures and reused for <see cref="ProbeReuse"/> per client, endpoint and
/// certificate, so a rejecting server is not hammered.
/// </summary>
internal sealed class FailureDiagnoser(
    ClientCertificateSources sources,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory)
{
    internal static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    internal static readonly TimeSpan ProbeReuse = TimeSpan.FromSeconds(30);
    private const int MaxCachedProbes = 64;

    private readonly ConcurrentDictionary<(string Client, string Host, int Port, string Thumbprint), (DateTimeOffset Expires, Lazy<Task<TlsProbeResult>> Probe)> _probes = new();
    private readonly ILogger _logger = loggerFactory.CreateLogger(Log.CategoryName);

    /// <summary>Gets how many diagnostic handshakes were started (for tests).</summary>
    internal int ProbeCount => Volatile.Read(ref _probeCount);

    private int _probeCount;

    public Task<ClientCertHttpFailureDiagnosis> DiagnoseAsync(string clientName, Uri? requestUri, Exception exception, CancellationToken cancellationToken) =>
        DiagnoseAsync(clientName, requestUri, HttpFailureClassifier.Classify(exception), exception, statusCode: null, cancellationToken);

    public async Task<ClientCertHttpFailureDiagnosis> DiagnoseAsync(
        string clientName,
        Uri? requestUri,
        HttpFailureClassification classification,
        Exception? exception,
        HttpStatusCode? statusCode,
        CancellationToken cancellationToken,
        ClientTlsState? usedState = null)
    {
        var endpoint = requestUri is { IsAbsoluteUri: true } uri ? $"{uri.DnsSafeHost}:{uri.Port}" : null;

        // The state the request went out with: an identity's, or the client's own (none for a client without one).
        var state = usedState ?? TryCurrentState(clientName);
        if (state?.Certificate is null)
        {
            state = null;
        }

        var thumbprint = state?.Thumbprint;
        var alert = exception is null ? null : HttpFailureClassifier.FindTlsAlert(exception);
        var status = statusCode is null ? null : (int?)statusCode;

        var diagnosis = classification.Category switch
        {
            HttpFailureCategory.ServerCertificateRejected => ServerRejectedByUs(exception, classification),
            HttpFailureCategory.ClientCertificateRejected or HttpFailureCategory.TlsHandshakeFailed or HttpFailureCategory.NonTransientStatusCode =>
                await FromProbeAsync(clientName, requestUri, classification, alert, status, state, cancellationToken).ConfigureAwait(false),
            _ when IsNetwork(exception) => Network(endpoint, exception!),
            _ => new ClientCertHttpFailureDiagnosis(ClientCertHttpFailureSide.Unknown, $"The request failed: {classification.Description}; nothing points at certificates or trust."),
        };

        diagnosis = With(diagnosis, endpoint, alert, status, thumbprint);
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            Log.RequestFailureDiagnosed(_logger, clientName, endpoint ?? "(unknown endpoint)", diagnosis.Side, diagnosis.Summary);
        }

        return diagnosis;
    }

    private static ClientCertHttpFailureDiagnosis With(ClientCertHttpFailureDiagnosis d, string? endpoint, string? alert, int? status, string? thumbprint) =>
        new(d.Side, d.Summary)
        {
            Endpoint = endpoint,
            TlsAlert = d.TlsAlert ?? alert,
            ClientCertificateRequested = d.ClientCertificateRequested,
            AcceptableIssuers = d.AcceptableIssuers,
            ClientChainMatchesAcceptableIssuers = d.ClientChainMatchesAcceptableIssuers,
            ServerCertificateFailure = d.ServerCertificateFailure,
            StatusCode = status,
            ClientCertificateThumbprint = thumbprint,
        };

    private static ClientCertHttpFailureDiagnosis ServerRejectedByUs(Exception? exception, HttpFailureClassification classification)
    {
        var rejected = HttpFailureClassifier.Find<ServerCertificateValidationException>(exception);
        if (rejected is null)
        {
            return new(ClientCertHttpFailureSide.ServerCertificateRejected, $"This client's trust checks rejected the server's certificate: {classification.Description}. No request reached the server. Fix the client's ServerTrust settings or the server's certificate.");
        }

        return new(
            ClientCertHttpFailureSide.ServerCertificateRejected,
            $"This client's trust checks rejected the server's certificate '{rejected.ServerSubject}' ({rejected.Reason}): {rejected.Detail} No request reached the server, and the server never saw the client certificate. Fix the client's ServerTrust settings (roots, pins, identities) or the server's certificate.")
        {
            ServerCertificateFailure = rejected.Reason,
        };
    }

    private static ClientCertHttpFailureDiagnosis Network(string? endpoint, Exception exception)
    {
        var socket = HttpFailureClassifier.Find<SocketException>(exception);
        var what = socket is not null ? $"{socket.SocketErrorCode}: {socket.Message}" : HttpFailureClassifier.Innermost(exception).Message;
        return new(
            ClientCertHttpFailureSide.Network,
            $"No connection could be made to {endpoint ?? "the server"} ({what}); no TLS handshake took place, so certificates played no part. Check the address and port, that the server is running, and firewalls or proxies on the way.");
    }

    private async Task<ClientCertHttpFailureDiagnosis> FromProbeAsync(
        string clientName,
        Uri? requestUri,
        HttpFailureClassification classification,
        string? alert,
        int? status,
        ClientTlsState? state,
        CancellationToken cancellationToken)
    {
        var failure = status is { } code ? $"the server answered HTTP {code}" : classification.Description;
        var probe = requestUri is { IsAbsoluteUri: true, Scheme: "https" } && state is not null
            ? await ProbeAsync(clientName, requestUri, state, cancellationToken).ConfigureAwait(false)
            : null;

        if (probe is { ClientCertificateRequested: false } && alert is not null && HttpFailureClassifier.IsCertificateAlert(alert))
        {
            // The diagnostic handshake is an initial handshake only; the real connection carried a certificate alert,
            // so the server asked for the certificate later (renegotiation, TLS 1.3 post-handshake authentication).
            return new(
                ClientCertHttpFailureSide.ClientCertificateRejected,
                $"The server asked for this client's certificate after the TLS handshake (by renegotiation or TLS 1.3 post-handshake authentication, for this path; the initial handshake asks for none) and rejected it: it sent the TLS alert '{alert}'. Check that the server trusts the CA that issued the certificate, that the intermediates reach it (ClientCertHttp sends the chain of the certificate source), that the certificate is neither expired nor revoked, and the server's access rules for this path.")
            {
                ClientCertificateRequested = true,
                TlsAlert = alert,
            };
        }

        if (probe is { ClientCertificateRequested: false, Outcome: TlsProbeOutcome.Succeeded or TlsProbeOutcome.RejectedAfterHandshake })
        {
            return new(
                ClientCertHttpFailureSide.ClientCertificateNotRequested,
                $"The server did not ask for a client certificate, so none was sent; then {failure}. Configure the server (or the TLS-terminating proxy or load balancer in front of it) to request client certificates, or check that this is the right address.")
            {
                ClientCertificateRequested = false,
            };
        }

        if (classification.Category == HttpFailureCategory.TlsHandshakeFailed && probe?.ClientCertificateRequested != true)
        {
            return new(ClientCertHttpFailureSide.TlsHandshakeFailed, $"The TLS handshake failed for a reason other than certificates: {classification.Description}. Check the TLS versions and cipher suites both sides allow.");
        }

        if (classification.Category == HttpFailureCategory.NonTransientStatusCode && probe?.ClientCertificateRequested != true)
        {
            return new(ClientCertHttpFailureSide.Unknown, $"The request failed: {failure}; the diagnostic handshake could not tell whether the server wants a client certificate{ProbeProblem(probe)}.");
        }

        var evidence = new List<string>();
        if (alert is not null)
        {
            evidence.Add($"it sent the TLS alert '{alert}'");
        }
        else if (status is null)
        {
            evidence.Add("it ended the connection after the TLS handshake instead of answering");
        }

        var issuers = probe?.AcceptableIssuers ?? [];
        string advice;
        if (issuers.Count > 0 && probe!.ClientChainMatchesAcceptableIssuers == false)
        {
            evidence.Add($"it accepts certificates from [{string.Join("; ", issuers)}] and no certificate of this client's chain ({ChainSubjects(state!)}) is or was issued by one of them");
            advice = "The server does not trust the CA of this certificate: use a certificate issued under one of the listed CAs, or have the server trust this certificate's root."
                + MissingIntermediateHint(state!);
        }
        else if (issuers.Count > 0)
        {
            evidence.Add($"it accepts certificates from [{string.Join("; ", issuers)}] and this client's chain matches '{probe!.MatchedAcceptableIssuer}'");
            advice = "The CA is accepted, so check that the intermediates reach the server, that the certificate is neither expired nor revoked, and the server's access rules for this certificate.";
        }
        else
        {
            evidence.Add(probe?.ClientCertificateRequested == true
                ? "it asks for a client certificate without naming the CAs it accepts"
                : $"the diagnostic handshake could not tell which CAs it accepts{ProbeProblem(probe)}");
            advice = "Check that the server trusts the CA that issued the certificate, that the intermediates reach it (ClientCertHttp sends the chain of the certificate source), that the certificate is neither expired nor revoked, and the server's access rules.";
        }

        // A certificate of the chain that is sent and no longer (or not yet) valid explains a rejection on its own.
        if (state is not null && OutOfValidity(state, timeProvider.GetUtcNow()) is { } invalid)
        {
            evidence.Insert(0, invalid);
            advice = "Replace the certificate named above in the certificate source; " + char.ToLowerInvariant(advice[0]) + advice[1..];
        }

        return new(
            ClientCertHttpFailureSide.ClientCertificateRejected,
            $"The server rejected this client's certificate{(status is { } answered ? $" (it answered HTTP {answered})" : string.Empty)}: {string.Join("; ", evidence)}. {advice}")
        {
            ClientCertificateRequested = probe?.ClientCertificateRequested,
            AcceptableIssuers = issuers,
            ClientChainMatchesAcceptableIssuers = probe?.ClientChainMatchesAcceptableIssuers,
            TlsAlert = alert,
        };
    }

    /// <summary>Names the first certificate of the chain sent that is outside its validity period now, if any.</summary>
    private static string? OutOfValidity(ClientTlsState state, DateTimeOffset now)
    {
        var utcNow = now.UtcDateTime;
        foreach (var (certificate, role) in state.Certificate!.Context.IntermediateCertificates.Select(c => (c, "the intermediate")).Prepend((state.Certificate!.Certificate, "the client certificate")))
        {
            if (certificate.NotAfter.ToUniversalTime() < utcNow)
            {
                return $"{role} '{certificate.Subject}' (thumbprint {certificate.Thumbprint}) that is sent expired on {certificate.NotAfter.ToUniversalTime():u}";
            }

            if (certificate.NotBefore.ToUniversalTime() > utcNow)
            {
                return $"{role} '{certificate.Subject}' (thumbprint {certificate.Thumbprint}) that is sent is not valid before {certificate.NotBefore.ToUniversalTime():u}";
            }
        }

        return null;
    }

    /// <summary>When the chain sent ends below an unknown issuer, that issuer may be the intermediate the server needs.</summary>
    private static string MissingIntermediateHint(ClientTlsState state)
    {
        var leaf = state.Certificate!.Certificate;
        if (state.Certificate!.Context.IntermediateCertificates.Count > 0 || leaf.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData))
        {
            return string.Empty;
        }

        // The issuer may be a self-signed root that the source holds: rightly not sent (a server never takes a root
        // from the peer), so no intermediate is missing; the server must trust that root itself.
        foreach (var held in state.Certificate!.SourceCertificates)
        {
            if (!ReferenceEquals(held, leaf)
                && held.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData)
                && held.SubjectName.RawData.AsSpan().SequenceEqual(held.IssuerName.RawData))
            {
                return $" The certificate is issued directly by the root '{held.Subject}', which is in the certificate source and, being a root, is not sent (servers never take a trust anchor from the client): no intermediate is missing; the server must trust that root itself.";
            }
        }

        return $" The certificate is sent without intermediates: if its issuer '{leaf.Issuer}' is an intermediate CA under one of them, add that intermediate to the certificate source (the readiness report, event 60, shows the chain sent).";
    }

    private static string ProbeProblem(TlsProbeResult? probe) => probe?.Error is { } error ? $" ({error})" : string.Empty;

    private async Task<TlsProbeResult?> ProbeAsync(string clientName, Uri uri, ClientTlsState state, CancellationToken cancellationToken)
    {
        var key = (clientName, uri.DnsSafeHost, uri.Port, state.Certificate!.Certificate.Thumbprint);
        var now = timeProvider.GetUtcNow();
        if (!_probes.TryGetValue(key, out var cached) || cached.Expires <= now)
        {
            if (_probes.Count >= MaxCachedProbes)
            {
                foreach (var expired in _probes.Where(p => p.Value.Expires <= now).Select(p => p.Key).ToList())
                {
                    _probes.TryRemove(expired, out _);
                }
            }

            // Lazy: the dictionary may run a factory twice under contention; only the stored one starts a handshake.
            cached = _probes.AddOrUpdate(
                key,
                _ => (now + ProbeReuse, new Lazy<Task<TlsProbeResult>>(() => StartProbe(uri, state))),
                (_, existing) => existing.Expires > now ? existing : (now + ProbeReuse, new Lazy<Task<TlsProbeResult>>(() => StartProbe(uri, state))));
        }

        try
        {
            return await cached.Probe.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The diagnosis must never replace the failure it explains: without evidence it says less, that is all.
            return null;
        }
    }

    private Task<TlsProbeResult> StartProbe(Uri uri, ClientTlsState state)
    {
        Interlocked.Increment(ref _probeCount);
        var chain = new List<X509Certificate2> { state.Certificate!.Certificate };
        chain.AddRange(state.Certificate!.Context.IntermediateCertificates);

        // No certificate is presented: the probe asks only whether the server wants one and from which CAs. The
        // server is checked exactly as the client checks it.
        return TlsHandshakeProbe.ProbeAsync(new TlsProbeOptions
        {
            Host = uri.DnsSafeHost,
            Port = uri.Port,
            ClientChain = chain,
            CertificateChainPolicy = state.ServerTrust.ChainPolicy,
            ServerCertificateValidation = state.ServerVerifier.UncountedCallback,
            Timeout = ProbeTimeout,
            WaitForFirstAnswer = false,
        });
    }

    private ClientTlsState? TryCurrentState(string clientName)
    {
        try
        {
            return sources.Get(clientName).Current;
        }
        catch (ClientCertificateException)
        {
            // Reported on its own; the diagnosis does without the certificate.
            return null;
        }
    }

    private static string ChainSubjects(ClientTlsState state) =>
        string.Join(" <- ", state.Certificate!.Context.IntermediateCertificates.Select(c => $"'{c.Subject}' issued by '{c.Issuer}'")
            .Prepend($"'{state.Certificate!.Certificate.Subject}' issued by '{state.Certificate!.Certificate.Issuer}'"));

    private static bool IsNetwork(Exception? exception) =>
        HttpFailureClassifier.Find<SocketException>(exception) is not null
        || HttpFailureClassifier.Find<HttpRequestException>(exception) is { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };
}
