using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClientCertHttp.Resilience;

namespace ClientCertHttp.Diagnostics;

/// <summary>
/// One diagnostic TLS handshake with <see cref="SslStream"/>: whether the server asks for a client certificate and
/// which certificate authorities it names, what was negotiated, the server's chain, and the alert when it fails.
/// </summary>
/// <remarks>
/// Evidence only, never used for real requests: the acceptable CA names are visible only to a
/// <see cref="LocalCertificateSelectionCallback"/>, and a certificate given through that callback is sent without its
/// intermediates on Linux. The server's certificate is checked by the caller's callback (or the platform's default
/// check), never skipped.
/// </remarks>
internal static class TlsHandshakeProbe
{
    private static readonly byte[] Http2Preface = [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0];

    /// <summary>Connects, handshakes and (optionally) waits for the server's first answer, all within <see cref="TlsProbeOptions.Timeout"/>.</summary>
    /// <param name="options">What to connect to and what to present.</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <returns>What the handshake showed; failures are part of the result, not thrown.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static async Task<TlsProbeResult> ProbeAsync(TlsProbeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        var connection = await ConnectCoreAsync(options, timeout.Token, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return connection.Stream is { } ssl && options.WaitForFirstAnswer
                ? await FirstAnswerAsync(ssl, connection.Result, options, timeout.Token, cancellationToken).ConfigureAwait(false)
                : connection.Result;
        }
    }

    /// <summary>
    /// Connects and handshakes within <see cref="TlsProbeOptions.Timeout"/>, and hands the connection over: the
    /// <c>clientcert probe</c> command sends its request over it. With <see cref="TlsProbeOptions.ClientCertificateContext"/>
    /// the handshake is exactly the one the library's handlers make.
    /// </summary>
    /// <param name="options">What to connect to and what to present.</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <returns>The result, and the authenticated stream when the handshake succeeded; the caller disposes it.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static async Task<TlsProbeConnection> ConnectAsync(TlsProbeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        return await ConnectCoreAsync(options, timeout.Token, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<TlsProbeConnection> ConnectCoreAsync(TlsProbeOptions options, CancellationToken timeout, CancellationToken cancellationToken)
    {
        var evidence = new Evidence(options);
        var started = Stopwatch.GetTimestamp();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, timeout).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            return new(evidence.Result(TlsProbeOutcome.ConnectFailed, Describe(ex)) with { SocketError = ex.SocketErrorCode, ConnectDuration = Stopwatch.GetElapsedTime(started), Failure = ex });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            return new(evidence.Result(TlsProbeOutcome.TimedOut, $"no TCP connection within {options.Timeout}") with { ConnectDuration = Stopwatch.GetElapsedTime(started) });
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connectDuration = Stopwatch.GetElapsedTime(started);
        var remoteAddress = socket.RemoteEndPoint is IPEndPoint { Address.IsIPv4MappedToIPv6: true } mapped
            ? new IPEndPoint(mapped.Address.MapToIPv4(), mapped.Port).ToString()
            : socket.RemoteEndPoint?.ToString();
        var handshakeStarted = Stopwatch.GetTimestamp();
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(evidence.SslOptions(), timeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            return new(evidence.Result(TlsProbeOutcome.HandshakeFailed, Describe(ex)) with
            {
                TlsAlert = HttpFailureClassifier.FindTlsAlert(ex),
                RemoteAddress = remoteAddress,
                ConnectDuration = connectDuration,
                HandshakeDuration = Stopwatch.GetElapsedTime(handshakeStarted),
                Failure = ex,
            });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            return new(evidence.Result(TlsProbeOutcome.TimedOut, $"the TLS handshake did not complete within {options.Timeout}") with
            {
                RemoteAddress = remoteAddress,
                ConnectDuration = connectDuration,
                HandshakeDuration = Stopwatch.GetElapsedTime(handshakeStarted),
            });
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var negotiated = evidence.Result(TlsProbeOutcome.Succeeded, error: null) with
        {
            // Through the selection callback, a certificate request is the only reason it runs with the server's
            // certificate known; with a certificate context, ours goes out exactly when the server asked for one.
            ClientCertificateRequested = options.ClientCertificateContext is null ? evidence.Requested : ssl.LocalCertificate is not null,
            Protocol = ssl.SslProtocol,
            CipherSuite = ssl.NegotiatedCipherSuite,
            ApplicationProtocol = ssl.NegotiatedApplicationProtocol.Protocol.IsEmpty ? null : ssl.NegotiatedApplicationProtocol.ToString(),
            ClientCertificateSent = options.ClientCertificateContext is null ? ssl.IsMutuallyAuthenticated : ssl.LocalCertificate is not null,
            RemoteAddress = remoteAddress,
            ConnectDuration = connectDuration,
            HandshakeDuration = Stopwatch.GetElapsedTime(handshakeStarted),
        };
        return new(negotiated, ssl);
    }

    /// <summary>
    /// Tells whether a certificate of <paramref name="chain"/> has one of <paramref name="acceptableIssuers"/> as its
    /// issuer or subject (a server's list may name the root, an intermediate, or the leaf's direct issuer).
    /// </summary>
    internal static string? MatchAcceptableIssuer(IReadOnlyList<X509Certificate2> chain, IReadOnlyList<string> acceptableIssuers)
    {
        foreach (var listed in acceptableIssuers)
        {
            var normalized = Normalize(listed);
            foreach (var certificate in chain)
            {
                if (SameName(certificate.IssuerName, listed, normalized) || SameName(certificate.SubjectName, listed, normalized))
                {
                    return listed;
                }
            }
        }

        return null;
    }

    private static bool SameName(X500DistinguishedName name, string listed, string? normalized) =>
        string.Equals(name.Name, listed, StringComparison.OrdinalIgnoreCase)
        || (normalized is not null && string.Equals(Normalize(name.Name), normalized, StringComparison.OrdinalIgnoreCase));

    private static string? Normalize(string name)
    {
        try
        {
            return new X500DistinguishedName(name).Format(multiLine: false);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    private static async Task<TlsProbeResult> FirstAnswerAsync(SslStream ssl, TlsProbeResult negotiated, TlsProbeOptions options, CancellationToken timeout, CancellationToken cancellationToken)
    {
        var request = negotiated.ApplicationProtocol == "h2"
            ? Http2Preface
            : Encoding.ASCII.GetBytes($"HEAD / HTTP/1.1\r\nHost: {options.TargetHost ?? options.Host}:{options.Port}\r\nConnection: close\r\n\r\n");
        var buffer = new byte[512];
        try
        {
            await ssl.WriteAsync(request, timeout).ConfigureAwait(false);
            var read = await ssl.ReadAsync(buffer, timeout).ConfigureAwait(false);
            if (read == 0)
            {
                return negotiated with
                {
                    Outcome = TlsProbeOutcome.RejectedAfterHandshake,
                    Error = "the server closed the connection right after the handshake without answering",
                };
            }

            if (negotiated.ApplicationProtocol == "h2")
            {
                return negotiated;
            }

            var text = Encoding.ASCII.GetString(buffer, 0, read);
            var end = text.IndexOf('\r', StringComparison.Ordinal);
            return negotiated with { FirstAnswerLine = end >= 0 ? text[..end] : text };
        }
        catch (IOException ex)
        {
            return negotiated with
            {
                Outcome = TlsProbeOutcome.RejectedAfterHandshake,
                TlsAlert = HttpFailureClassifier.FindTlsAlert(ex),
                Error = Describe(ex),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Connected and not rejected within the probe's time: as far as the probe can tell, the server accepted.
            return negotiated;
        }
    }

    private static string Describe(Exception exception)
    {
        var innermost = HttpFailureClassifier.Innermost(exception);
        return ReferenceEquals(innermost, exception)
            ? $"{exception.GetType().Name}: {exception.Message}"
            : $"{exception.GetType().Name}: {exception.Message} ({innermost.GetType().Name}: {innermost.Message})";
    }

    /// <summary>Collects what the handshake callbacks see.</summary>
    private sealed class Evidence(TlsProbeOptions options)
    {
        private readonly List<ClientCertificateChainElement> _serverChain = [];
        private string[] _acceptableIssuers = [];
        private SslPolicyErrors? _serverErrors;
        private bool? _serverAccepted;

        public bool Requested { get; private set; }

        public SslClientAuthenticationOptions SslOptions()
        {
            var ssl = new SslClientAuthenticationOptions
            {
                TargetHost = options.TargetHost ?? options.Host,
                ApplicationProtocols = [.. options.ApplicationProtocols],
                CertificateChainPolicy = options.CertificateChainPolicy?.Clone(),
                CertificateRevocationCheckMode = options.CertificateChainPolicy?.RevocationMode ?? X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = Validate,
            };
            if (options.ClientCertificateContext is { } context)
            {
                // The full chain, as the client's handlers send it; the server's acceptable CA names stay invisible.
                ssl.ClientCertificateContext = context;
            }
            else
            {
                ssl.LocalCertificateSelectionCallback = Select;
            }

            return ssl;
        }

        public TlsProbeResult Result(TlsProbeOutcome outcome, string? error)
        {
            var issuers = _acceptableIssuers;
            var matched = issuers.Length > 0 && options.ClientChain.Count > 0 ? MatchAcceptableIssuer(options.ClientChain, issuers) : null;
            return new TlsProbeResult
            {
                Host = options.Host,
                Port = options.Port,
                Outcome = outcome,
                Error = error,
                ClientCertificateRequested = Requested ? true : null,
                AcceptableIssuers = issuers,
                ClientChainMatchesAcceptableIssuers = issuers.Length > 0 && options.ClientChain.Count > 0 ? matched is not null : null,
                MatchedAcceptableIssuer = matched,
                ServerChain = [.. _serverChain],
                ServerCertificateErrors = _serverErrors,
                ServerCertificateAccepted = _serverAccepted,
            };
        }

        private X509Certificate2? Select(object sender, string targetHost, X509CertificateCollection localCertificates, X509Certificate? remoteCertificate, string[] acceptableIssuers)
        {
            // SslStream asks once before the handshake (no server certificate yet) and, when that call chose nothing,
            // again when the server's certificate request arrives (measured on .NET 10/Linux): only then are the
            // acceptable CA names known. Choosing the certificate early would hide the request and its names.
            if (remoteCertificate is null)
            {
                return null;
            }

            Requested = true;
            _acceptableIssuers = acceptableIssuers;
            return options.ClientCertificate;
        }

        private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            _serverErrors = errors;
            _serverChain.Clear();
            if (chain is not null && chain.ChainElements.Count > 0)
            {
                foreach (var element in chain.ChainElements)
                {
                    _serverChain.Add(new ClientCertificateChainElement(element.Certificate));
                }
            }
            else if (certificate is X509Certificate2 leaf)
            {
                _serverChain.Add(new ClientCertificateChainElement(leaf));
            }

            // A validator may reject by throwing (ClientCertHttp's own does): recorded as a rejection, then passed on.
            _serverAccepted = false;
            var accepted = options.ServerCertificateValidation?.Invoke(sender, certificate, chain, errors) ?? errors == SslPolicyErrors.None;
            _serverAccepted = accepted;
            return accepted;
        }
    }
}

/// <summary>A probe's connection: the result, and the authenticated stream when the handshake succeeded.</summary>
/// <param name="Result">What the handshake showed.</param>
/// <param name="Stream">The authenticated stream, owned by this connection; <see langword="null"/> when the handshake failed.</param>
internal sealed record TlsProbeConnection(TlsProbeResult Result, SslStream? Stream = null) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Stream?.DisposeAsync() ?? ValueTask.CompletedTask;
}
