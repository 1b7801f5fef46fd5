using System.Net.Sockets;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Resilience;
using ClientCertHttp.Trust;

namespace ClientCertHttp.Tool.Probe;

/// <summary>
/// Turns what the probe saw into one plain-language diagnosis: which side failed and why. The failure categories and
/// their evidence (TLS alerts, nginx's certificate error pages, closed connections) come from the library's
/// <see cref="HttpFailureClassifier"/>, so the tool and the library's retry pipeline read failures the same way.
/// </summary>
internal static class ProbeDiagnoser
{
    public static ProbeDiagnosis ConnectFailed(ProbeReport report, SocketException exception) => exception.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => new(ClientCertHttpFailureSide.Network, $"Connection refused: nothing accepts connections on {report.Host}:{report.Port}.", $"{exception.SocketErrorCode}: {exception.Message}", "Check the port, and that the server is running and listening on this address."),
        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => new(ClientCertHttpFailureSide.Network, $"The host name '{report.Host}' could not be resolved.", exception.Message, "Check the host name and DNS."),
        SocketError.TimedOut => new(ClientCertHttpFailureSide.Network, $"The TCP connection to {report.Host}:{report.Port} timed out.", exception.Message, "Check firewalls and routes between here and the server."),
        _ => new(ClientCertHttpFailureSide.Network, $"The TCP connection to {report.Host}:{report.Port} failed.", $"{exception.SocketErrorCode}: {exception.Message}", null),
    };

    public static ProbeDiagnosis HandshakeFailed(ProbeReport report, Exception exception) => FromException(report, exception, afterHandshake: false, http2: false);

    public static ProbeDiagnosis ExchangeFailed(ProbeReport report, Exception exception, bool http2) => FromException(report, exception, afterHandshake: true, http2);

    public static ProbeDiagnosis ClosedWithoutResponse(ProbeReport report, bool http2)
    {
        // The same shapes the classifier reads from SocketsHttpHandler (ResponseEnded, or the unfinished HTTP/2 handshake).
        Exception shape = http2
            ? new IOException("The server closed the connection: it did not complete the HTTP/2 handshake.")
            : new HttpIOException(HttpRequestError.ResponseEnded, "The server closed the connection without sending a response.");
        return FromException(report, shape, afterHandshake: true, http2);
    }

    /// <summary>Reads an HTTP response: a status of 400 or more (or nginx's certificate errors) is the diagnosis.</summary>
    public static async Task ResponseAsync(ProbeReport report, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var classification = await HttpFailureClassifier.ClassifyAsync(response, treatForbiddenAsCertificateRejection: false, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (classification.Category == HttpFailureCategory.ClientCertificateRejected)
        {
            var certificate = report.ClientCertificate;
            report.Diagnosis = certificate switch
            {
                { Source: not null, Requested: false } => new(
                    ClientCertHttpFailureSide.ClientCertificateNotRequested,
                    $"The server did not ask for a client certificate during the TLS handshake, so ours was not sent, and then it answered HTTP {status} for the missing certificate.",
                    classification.Description,
                    "The TLS endpoint is not configured to request client certificates (nginx: ssl_verify_client on|optional and ssl_client_certificate; or a proxy or load balancer terminates TLS in front of it). Fix the server side; nothing in the client can send a certificate that was not asked for."),
                { Source: null } => new(
                    ClientCertHttpFailureSide.ClientCertificateMissing,
                    $"The server wants a client certificate and we sent none: it answered HTTP {status}, as nginx does.",
                    classification.Description,
                    "Give the certificate to probe (--cert, with --key for PEM files)."),
                _ => new(
                    ClientCertHttpFailureSide.ClientCertificateRejected,
                    $"The server received our client certificate and rejected it with HTTP {status}, as nginx does for a certificate it cannot verify.",
                    classification.Description,
                    AdviceForRejectedCertificate(report)),
            };
            return;
        }

        if (status >= 400)
        {
            report.Diagnosis = new(ClientCertHttpFailureSide.HttpStatus, $"The TLS handshake succeeded, and the server answered HTTP {status} {response.ReasonPhrase}.", classification.Description, "The connection and certificates are fine; the status is the application's answer (path, authorization).");
        }
    }

    /// <summary>Sets the outcome and exit code once the probe is complete.</summary>
    public static void Conclude(ProbeReport report)
    {
        if (report.ClientCertificate is { Source: not null, Requested: false })
        {
            report.Warnings.Add("The server did not ask for a client certificate, so none was sent: this server (or the proxy in front of it) does not do mutual TLS.");
        }

        if (report.Diagnosis is null && report.Http is not null)
        {
            report.Diagnosis = report.ClientCertificate switch
            {
                { Sent: true } => new(null, $"Mutual TLS works: the server asked for a client certificate, accepted ours and answered HTTP {report.Http.Status}.", null, null),
                { Source: null, Requested: true } => new(null, $"The server asked for a client certificate, we sent none, and it still answered HTTP {report.Http.Status} (client certificates are optional there).", null, null),
                _ => new(null, $"The server answered HTTP {report.Http.Status} without asking for a client certificate.", null, null),
            };
        }

        var failed = report.Http is null;
        var warned = report.Warnings.Count > 0 || report.Http is { Status: >= 400 };
        (report.Outcome, report.ExitCode) = failed ? ("failed", ExitCodes.Errors) : warned ? ("warnings", ExitCodes.Warnings) : ("ok", ExitCodes.Ok);
    }

    /// <summary>
    /// Adds the server's acceptable CA list to a rejection: when the server named the CAs it accepts and our chain
    /// matches none of them, that is the likeliest reason, and the diagnosis says so.
    /// </summary>
    public static void AddAcceptableCaEvidence(ProbeReport report)
    {
        var client = report.ClientCertificate;
        if (report.Diagnosis is not { FailureSide: ClientCertHttpFailureSide.ClientCertificateRejected } diagnosis || client.AcceptableCas is not { Count: > 0 } acceptable)
        {
            return;
        }

        var listed = string.Join("; ", acceptable.Select(name => $"'{name}'"));
        report.Diagnosis = client.ChainMatchesAcceptableCas == false
            ? diagnosis with
            {
                Evidence = $"{diagnosis.Evidence}; the server accepts client certificates from {listed}, and no certificate of our chain is issued by or is one of them",
                Advice = $"Use a client certificate issued under one of {listed}, or have the server trust our CA ('{client.Chain[^1].Issuer}').",
            }
            : diagnosis with { Evidence = $"{diagnosis.Evidence}; our chain matches the server's acceptable CA list ({listed}), so look at the certificate itself (validity, key usage) or the server's access rules" };
    }

    private static ProbeDiagnosis FromException(ProbeReport report, Exception exception, bool afterHandshake, bool http2)
    {
        report.Outcome = "failed";
        report.ExitCode = ExitCodes.Errors;
        var classification = HttpFailureClassifier.Classify(exception);
        var certificate = report.ClientCertificate;
        switch (classification.Category)
        {
            case HttpFailureCategory.ServerCertificateRejected:
                var rejected = TlsProbe.FindException<ServerCertificateValidationException>(exception);
                return new(
                    ClientCertHttpFailureSide.ServerCertificateRejected,
                    $"Our trust rejected the server's certificate ({report.ServerCertificate?.Trust ?? "system trust"}).",
                    rejected is null ? classification.Description : $"{rejected.Reason}: {rejected.Message}",
                    rejected?.Reason switch
                    {
                        ServerCertificateFailureReason.NameMismatch => "The certificate does not name the host of the URL: use the host name it was issued for.",
                        ServerCertificateFailureReason.UntrustedRoot or ServerCertificateFailureReason.PartialChain => "Pass the root CA of the server's chain with --ca root.pem (a private CA is never in the system trust), or make the server send its intermediates.",
                        ServerCertificateFailureReason.NameConstraintViolation or ServerCertificateFailureReason.MissingServerAuthenticationUsage
                            or ServerCertificateFailureReason.CertificateSigningKeyAsServerCertificate or ServerCertificateFailureReason.WeakKey =>
                            "The chain breaks a rule ClientCertHttp enforces beyond the platform (see README, \"Stricter than the platform\"): reissue the server's certificate, or set the ServerTrust relaxation the message names.",
                        _ => "Check the server's certificate (validity, host name, chain) and the roots given with --ca.",
                    });
            case HttpFailureCategory.ClientCertificateRejected when certificate.Source is null:
                return new(
                    ClientCertHttpFailureSide.ClientCertificateMissing,
                    "The server requires a client certificate and we sent none.",
                    classification.Description,
                    "Give the certificate to probe (--cert, with --key for PEM files).");
            case HttpFailureCategory.ClientCertificateRejected:
                var when = afterHandshake ? (http2 ? " right after the handshake (before HTTP/2 started)" : " right after the handshake") : " during the handshake";
                return new(
                    ClientCertHttpFailureSide.ClientCertificateRejected,
                    $"The server rejected our client certificate{when}.",
                    classification.Description,
                    AdviceForRejectedCertificate(report));
            case HttpFailureCategory.TlsHandshakeFailed:
                return new(ClientCertHttpFailureSide.TlsHandshakeFailed, "The TLS handshake failed.", classification.Description, "Check that client and server share a TLS version (1.2 or 1.3) and cipher suites.");
            case HttpFailureCategory.Transient:
                return new(ClientCertHttpFailureSide.Network, "The connection failed.", classification.Description, null);
            default:
                return new(ClientCertHttpFailureSide.Unknown, afterHandshake ? "The connection failed after the TLS handshake." : "The TLS handshake failed.", classification.Description, null);
        }
    }

    private static string AdviceForRejectedCertificate(ProbeReport report)
    {
        var chain = report.ClientCertificate.Chain;
        var sent = chain.Count == 0 ? "our chain" : $"the {chain.Count} certificate(s) we sent, issued under '{chain[^1].Issuer}',";
        return $"Make the server trust the CA that issued our certificate: {sent} must chain to a root the server trusts. Also check that the certificate is valid now, allows client authentication, and is allowed by the server's access rules.";
    }
}
