using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Trust;

namespace ClientCertHttp.Tool.Probe;

/// <summary>What a probe needs: the target, the certificate to offer (if any) and the library's server trust.</summary>
internal sealed record ProbeSettings(
    Uri Url,
    LoadedClientCertificate? Certificate,
    string? CertificateSource,
    ServerTrustSettings Trust,
    ServerCertificateVerifier Verifier,
    string TrustDescription,
    bool Http2);

/// <summary>
/// Connects to an HTTPS server the way ClientCertHttp does (the full chain through one
/// <see cref="SslStreamCertificateContext"/>, the library's server trust) and records every step: TCP connect, TLS
/// handshake, the first HTTP exchange, and a second connection to see whether the session resumes.
/// </summary>
internal static class TlsProbe
{
    // A response larger than this is not read further: the status line and an error page are all the probe needs.
    private const int MaxResponseBytes = 64 * 1024;

    // The TCP connect and the TLS handshake of each connection together; the command's own timeout bounds the rest.
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    // The HTTP/2 client connection preface followed by an empty SETTINGS frame (RFC 9113 section 3.4).
    private static readonly byte[] Http2Preface = [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0];

    public static async Task<ProbeReport> RunAsync(ProbeSettings settings, CancellationToken cancellationToken)
    {
        var url = settings.Url;
        var isIpLiteral = url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6;
        var report = new ProbeReport
        {
            Url = url.ToString(),
            Host = HostOf(url),
            Port = url.Port,
            ServerName = isIpLiteral ? null : HostOf(url),
        };
        report.ClientCertificate.Source = settings.CertificateSource;
        if (settings.Certificate is { } certificate)
        {
            report.ClientCertificate.Chain = [.. certificate.Context.IntermediateCertificates.Prepend(certificate.Certificate).Select(ServerCertificateCapture.Describe)];

            // The library's readiness findings (expiring soon, SHA-1, weak key, …) are warnings of the probe too.
            var readiness = ClientCertificateReadinessReport.Create(certificate.Certificate, [.. certificate.Context.IntermediateCertificates]);
            report.Warnings.AddRange(readiness.Findings.Select(finding => $"Client certificate: {finding.Code}: {finding.Message}"));
        }

        if (await ConnectAndRequestAsync(settings, report, isIpLiteral, cancellationToken).ConfigureAwait(false))
        {
            ProbeDiagnoser.Conclude(report);
        }

        if (report.Timings.TcpConnectMs is not null)
        {
            await AddCertificateRequestEvidenceAsync(settings, report, cancellationToken).ConfigureAwait(false);
        }

        return report;
    }

    /// <summary>The real connection, the GET and the resumption check; <see langword="false"/> when a step failed (diagnosed).</summary>
    private static async Task<bool> ConnectAndRequestAsync(ProbeSettings settings, ProbeReport report, bool isIpLiteral, CancellationToken cancellationToken)
    {
        var first = await HandshakeAsync(settings, report, cancellationToken).ConfigureAwait(false);
        if (first is null)
        {
            return false;
        }

        await using (first.ConfigureAwait(false))
        {
            var exchanged = first.NegotiatedApplicationProtocol == SslApplicationProtocol.Http2
                ? await ExchangeHttp2Async(settings, first, report, cancellationToken).ConfigureAwait(false)
                : await ExchangeHttp11Async(settings, first, report, cancellationToken).ConfigureAwait(false);
            if (!exchanged)
            {
                return false;
            }
        }

        report.Resumption = isIpLiteral
            ? new ProbeResumption { Attempted = false, Note = "not attempted: the URL host is an IP literal, so no server name (SNI) is sent and TLS sessions are never resumed; use a host name to test resumption" }
            : await ProbeResumptionAsync(settings, report, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The server's certificate request as the library's diagnostic probe sees it: whether it asks, the CA names it
    /// accepts, and whether our chain matches one. It runs last, on its own connection, because it presents the leaf
    /// through a selection callback (without intermediates) and must not lend its TLS session to the real connection.
    /// </summary>
    private static async Task AddCertificateRequestEvidenceAsync(ProbeSettings settings, ProbeReport report, CancellationToken cancellationToken)
    {
        var chain = settings.Certificate is { } loaded ? [loaded.Certificate, .. loaded.Context.IntermediateCertificates] : Array.Empty<X509Certificate2>();
        var evidence = await TlsHandshakeProbe.ProbeAsync(
            new TlsProbeOptions
            {
                Host = HostOf(settings.Url),
                Port = settings.Url.Port,
                ClientCertificate = settings.Certificate?.Certificate,
                ClientChain = chain,
                CertificateChainPolicy = settings.Trust.ChainPolicy,
                ServerCertificateValidation = (sender, certificate, serverChain, errors) => AcceptsServer(settings.Verifier, sender, certificate, serverChain, errors),
                ApplicationProtocols = settings.Http2 ? [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11] : [SslApplicationProtocol.Http11],
                WaitForFirstAnswer = false,
                Timeout = TimeSpan.FromSeconds(10),
            },
            cancellationToken).ConfigureAwait(false);

        var client = report.ClientCertificate;
        client.Requested ??= evidence.ClientCertificateRequested;
        if (evidence.ClientCertificateRequested == true)
        {
            client.AcceptableCas = evidence.AcceptableIssuers;
            client.ChainMatchesAcceptableCas = evidence.ClientChainMatchesAcceptableIssuers;
        }

        ProbeDiagnoser.AddAcceptableCaEvidence(report);
    }

    private static bool AcceptsServer(ServerCertificateVerifier verifier, object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        try
        {
            return verifier.Validate(sender, certificate, chain, errors);
        }
        catch (ServerCertificateValidationException)
        {
            return false; // already reported by the real connection
        }
    }

    /// <summary>
    /// Connects and handshakes through the library's <see cref="TlsHandshakeProbe"/>, presenting the full chain exactly
    /// as ClientCertHttp's handlers do; on failure records the diagnosis and returns <see langword="null"/>.
    /// </summary>
    private static async Task<SslStream?> HandshakeAsync(ProbeSettings settings, ProbeReport report, CancellationToken cancellationToken)
    {
        var capture = new ServerCertificateCapture(settings.Verifier);
        var connection = await TlsHandshakeProbe.ConnectAsync(ProbeOptions(settings, capture), cancellationToken).ConfigureAwait(false);
        var result = connection.Result;
        report.RemoteAddress = result.RemoteAddress;
        if (result.Outcome == TlsProbeOutcome.ConnectFailed || (result.Outcome == TlsProbeOutcome.TimedOut && result.RemoteAddress is null))
        {
            report.Diagnosis = ProbeDiagnoser.ConnectFailed(report, result.Failure as SocketException ?? new SocketException((int)SocketError.TimedOut));
            return null;
        }

        report.Timings.TcpConnectMs = Milliseconds(result.ConnectDuration);
        report.Timings.TlsHandshakeMs = Milliseconds(result.HandshakeDuration);
        if (connection.Stream is not { } stream)
        {
            var failure = result.Failure ?? new TimeoutException($"The TLS handshake did not complete within {HandshakeTimeout}.");
            RecordServerCertificate(settings, report, capture, failure);
            report.ClientCertificate.Requested = result.ClientCertificateRequested == true ? true : null;
            report.Diagnosis = ProbeDiagnoser.HandshakeFailed(report, failure);
            return null;
        }

        RecordServerCertificate(settings, report, capture, failure: null);
        report.Tls = new ProbeTls
        {
            Protocol = result.Protocol?.ToString() ?? string.Empty,
            CipherSuite = result.CipherSuite?.ToString() ?? string.Empty,
            Alpn = result.ApplicationProtocol,
        };

        // With a certificate context, ours goes out exactly when the server asked for one; without one, the selection
        // callback runs exactly when the server asks.
        report.ClientCertificate.Sent = result.ClientCertificateSent;
        report.ClientCertificate.Requested = settings.Certificate is not null ? result.ClientCertificateSent : result.ClientCertificateRequested;
        return stream;
    }

    /// <summary>The library probe's options for the real connection: the certificate context and the library's server trust.</summary>
    private static TlsProbeOptions ProbeOptions(ProbeSettings settings, ServerCertificateCapture capture) => new()
    {
        Host = HostOf(settings.Url),
        Port = settings.Url.Port,
        ClientCertificateContext = settings.Certificate?.Context,
        CertificateChainPolicy = settings.Trust.ChainPolicy,
        ServerCertificateValidation = capture.Validate,
        ApplicationProtocols = settings.Http2 ? [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11] : [SslApplicationProtocol.Http11],
        Timeout = HandshakeTimeout,
        WaitForFirstAnswer = false,
    };

    private static SslClientAuthenticationOptions CreateOptions(ProbeSettings settings, ServerCertificateCapture capture, Action onCertificateRequested)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = HostOf(settings.Url),
            CertificateChainPolicy = settings.Trust.ChainPolicy.Clone(),
            RemoteCertificateValidationCallback = capture.Validate,
            ApplicationProtocols = settings.Http2 ? [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11] : [SslApplicationProtocol.Http11],
        };

        if (settings.Certificate is { } certificate)
        {
            // The full chain, exactly as ClientCertHttp's handlers send it.
            options.ClientCertificateContext = certificate.Context;
        }
        else
        {
            // No certificate to offer: the callback only tells whether the server asked for one.
            options.LocalCertificateSelectionCallback = (_, _, _, _, _) =>
            {
                onCertificateRequested();
                return null!;
            };
        }

        return options;
    }

    private static void RecordServerCertificate(ProbeSettings settings, ProbeReport report, ServerCertificateCapture capture, Exception? failure)
    {
        if (!capture.Called)
        {
            return;
        }

        var rejected = FindException<ServerCertificateValidationException>(failure);
        report.ServerCertificate = new ProbeServerCertificate
        {
            Sent = capture.Sent,
            Built = capture.Built,
            Trust = settings.TrustDescription,
            Trusted = rejected is null,
            Problem = rejected is null ? null : $"{rejected.Reason}: {rejected.Message}",
        };
    }

    private static async Task<bool> ExchangeHttp11Async(ProbeSettings settings, SslStream stream, ProbeReport report, CancellationToken cancellationToken)
    {
        var url = settings.Url;
        var request = string.Create(
            CultureInfo.InvariantCulture,
            $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nUser-Agent: clientcert/{typeof(TlsProbe).Assembly.GetName().Version}\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        var stopwatch = Stopwatch.StartNew();
        byte[] response;
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken).ConfigureAwait(false);
            response = await ReadResponseAsync(stream, stopwatch, report, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            report.Diagnosis = ProbeDiagnoser.ExchangeFailed(report, ex, http2: false);
            return false;
        }

        if (response.Length == 0)
        {
            report.Diagnosis = ProbeDiagnoser.ClosedWithoutResponse(report, http2: false);
            return false;
        }

        var text = Encoding.UTF8.GetString(response);
        var statusLine = text.AsSpan(0, Math.Max(0, text.IndexOf("\r\n", StringComparison.Ordinal)));
        var parts = statusLine.ToString().Split(' ', 3);
        if (parts.Length < 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            report.Diagnosis = new ProbeDiagnosis(ClientCertHttpFailureSide.HttpStatus, "The server did not answer with HTTP/1.1.", $"first line: '{statusLine}'", "Check that the URL points at an HTTPS server.");
            return false;
        }

        report.Http = new ProbeHttp { Version = "1.1", Status = status, Reason = parts.Length > 2 ? parts[2] : null };
        var bodyStart = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = bodyStart < 0 ? string.Empty : text[(bodyStart + 4)..];
        using var message = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body) };
        await ProbeDiagnoser.ResponseAsync(report, message, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static async Task<byte[]> ReadResponseAsync(SslStream stream, Stopwatch sinceRequest, ProbeReport report, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (buffer.Length < MaxResponseBytes)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            if (buffer.Length == 0)
            {
                report.Timings.TimeToFirstByteMs = Milliseconds(sinceRequest);
            }

            buffer.Write(chunk, 0, read);
            if (IsComplete(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
            {
                break;
            }
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Tells whether a whole HTTP/1.1 response has arrived (headers, then Content-Length bytes or the last chunk), so a
    /// server that keeps the connection open despite <c>Connection: close</c> does not hold the probe until its timeout.
    /// </summary>
    private static bool IsComplete(ReadOnlySpan<byte> response)
    {
        var headerEnd = response.IndexOf("\r\n\r\n"u8);
        if (headerEnd < 0)
        {
            return false;
        }

        var headers = Encoding.ASCII.GetString(response[..headerEnd]);
        var body = response[(headerEnd + 4)..];
        var status = headers.Length >= 12 ? headers.AsSpan(9, 3) : default;
        if (status is "204" or "304" || (status.Length == 3 && status[0] == '1'))
        {
            return true;
        }

        foreach (var line in headers.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line.AsSpan(0, colon).Trim();
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                return body.Length >= length;
            }

            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                return body.EndsWith("0\r\n\r\n"u8);
            }
        }

        return false;
    }

    private static async Task<bool> ExchangeHttp2Async(ProbeSettings settings, SslStream stream, ProbeReport report, CancellationToken cancellationToken)
    {
        // The preface and the server's first frame on the probed connection: a server that checks the client
        // certificate after the handshake closes here, and TLS 1.3 session tickets are read on the way.
        try
        {
            await stream.WriteAsync(Http2Preface, cancellationToken).ConfigureAwait(false);
            var frameHeader = new byte[9];
            var read = await stream.ReadAtLeastAsync(frameHeader, frameHeader.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read < frameHeader.Length)
            {
                report.Diagnosis = ProbeDiagnoser.ClosedWithoutResponse(report, http2: true);
                return false;
            }
        }
        catch (IOException ex)
        {
            report.Diagnosis = ProbeDiagnoser.ExchangeFailed(report, ex, http2: true);
            return false;
        }

        // The GET itself goes through SocketsHttpHandler with the same certificate context and trust.
        using var handler = new SocketsHttpHandler
        {
            SslOptions = CreateOptions(settings, new ServerCertificateCapture(settings.Verifier), static () => { }),
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        handler.SslOptions.ApplicationProtocols = null;
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, settings.Url) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            report.Timings.TimeToFirstByteMs = Milliseconds(stopwatch);
            report.Timings.TimeToFirstByteNote = "HTTP/2 GET through SocketsHttpHandler on a new connection: includes its TCP connect and TLS handshake";
            report.Http = new ProbeHttp { Version = "2", Status = (int)response.StatusCode, Reason = response.ReasonPhrase };
            await ProbeDiagnoser.ResponseAsync(report, response, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpRequestException ex)
        {
            report.Diagnosis = ProbeDiagnoser.ExchangeFailed(report, ex, http2: true);
            return false;
        }
    }

    private static async Task<ProbeResumption> ProbeResumptionAsync(ProbeSettings settings, ProbeReport report, CancellationToken cancellationToken)
    {
        var connection = await TlsHandshakeProbe.ConnectAsync(ProbeOptions(settings, new ServerCertificateCapture(settings.Verifier)), cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            if (connection.Stream is not { } stream)
            {
                var problem = connection.Result.Failure?.Message ?? connection.Result.Error ?? "it did not complete";
                report.Warnings.Add($"The second connection (for session resumption) failed: {problem}");
                return new ProbeResumption { Attempted = true, Note = "the second connection failed: " + problem };
            }

            var resumed = SessionResumption.WasResumed(stream);
            return new ProbeResumption
            {
                Attempted = true,
                Resumed = resumed,
                TlsHandshakeMs = Milliseconds(connection.Result.HandshakeDuration),
                Note = resumed switch
                {
                    true => "the second connection resumed the first one's TLS session (no certificates exchanged)",
                    false => "the second connection made a full handshake: the server did not resume the session (no session tickets or cache)",
                    null => "unknown: the session reuse flag is only read on Linux (OpenSSL)",
                },
            };
        }
    }

    /// <summary>The host to connect to and to name in TLS: punycode for a name, no brackets for an IPv6 literal.</summary>
    private static string HostOf(Uri url) => url.HostNameType == UriHostNameType.IPv6 ? url.DnsSafeHost : url.IdnHost;

    private static double Milliseconds(Stopwatch stopwatch) => Milliseconds(stopwatch.Elapsed);

    private static double Milliseconds(TimeSpan elapsed) => Math.Round(elapsed.TotalMilliseconds, 1);

    internal static T? FindException<T>(Exception? exception)
        where T : Exception
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }
}
