using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.Testing;

/// <summary>
/// A real Kestrel HTTPS server on 127.0.0.1 (random port) that asks for and validates client certificates itself:
/// a client certificate is accepted only if it chains, through the certificates the client actually SENT, to one of
/// <see cref="MtlsTestServerOptions.TrustedClientRoots"/>. Every request is answered with a JSON
/// <see cref="MtlsRequestReport"/> unless <see cref="MtlsTestServerOptions.RequestHandler"/> handles it.
/// </summary>
/// <remarks>
/// A refused certificate ends the connection right after the handshake without a TLS alert (what SslStream does on
/// .NET 10 for Linux), is answered with an HTTP status (<see cref="MtlsTestServerOptions.RejectionStatusCode"/>), or
/// is refused with a chosen alert (<see cref="MtlsTestServerOptions.RejectWithTlsAlert"/>).
/// <see cref="HandshakeFailures"/> says why each handshake was refused. The server's own certificate can be renewed
/// while it runs (<see cref="RotateServerCertificate"/>). Members are thread-safe.
/// </remarks>
public sealed class MtlsTestServer : IAsyncDisposable
{
    private readonly MtlsTestServerOptions _options;
    private readonly X509Certificate2? _ownedServerCertificate;
    private readonly X509Certificate2Collection _trustedClientRoots;
    private readonly SslCertificateTrust? _clientCaTrust;

    // Swapped whole by RotateServerCertificate; every new connection reads it once.
    private volatile ServerIdentity _identity;

    // Keyed by the server-side SslStream (the "sender" of the validation callback); the entry dies with the connection.
    private readonly ConditionalWeakTable<SslStream, HandshakeRecord> _handshakes = new();
    private readonly ConcurrentQueue<MtlsRequestReport> _reports = new();
    private readonly ConcurrentQueue<string> _handshakeFailures = new();

    // Leaf thumbprint -> the chain sent with it in a handshake that validated (see ValidateClientCertificate).
    private readonly ConcurrentDictionary<string, ReceivedCertificate[]> _validatedChains = new(StringComparer.Ordinal);

    private WebApplication? _app;
    private int _handshakeCount;
    private int _failedHandshakeCount;
    private int _openConnectionCount;
    private int _totalConnectionCount;
    private int _disposed;

    private MtlsTestServer(TestCertificateAuthority ca, MtlsTestServerOptions options)
    {
        _options = options;

        if (options.ServerCertificate is null)
        {
            _ownedServerCertificate = ca.IssueServerCertificate();
        }

        _trustedClientRoots = options.TrustedClientRoots ?? [ca.Root];

        X509Certificate2Collection intermediates = options.SendServerIntermediate
            ? options.ServerIntermediates ?? [ca.Intermediate]
            : [];
        _clientCaTrust = options.SendAcceptableClientCaNames
            ? SslCertificateTrust.CreateForX509Collection(_trustedClientRoots, sendTrustInHandshake: true)
            : null;
        _identity = ServerIdentity.Create(options.ServerCertificate ?? _ownedServerCertificate!, intermediates, _clientCaTrust);
    }

    /// <summary>The base address using the IP literal: <c>https://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The base address using the host name: <c>https://localhost:{port}/</c> (still resolves to loopback).</summary>
    public Uri LocalhostAddress { get; private set; } = null!;

    /// <summary>The TCP port the server listens on (chosen by the OS).</summary>
    public int Port { get; private set; }

    /// <summary>Gets the server's current leaf certificate (the latest one given to <see cref="RotateServerCertificate"/>).</summary>
    public X509Certificate2 ServerCertificate => _identity.Certificate;

    /// <summary>A thread-safe snapshot of the reports of every request served so far, in arrival order.</summary>
    public IReadOnlyList<MtlsRequestReport> Reports => _reports.ToArray();

    /// <summary>The number of TLS handshakes that completed successfully.</summary>
    public int HandshakeCount => Volatile.Read(ref _handshakeCount);

    /// <summary>
    /// The number of handshakes the server rejected because the client certificate was missing (while required)
    /// or failed validation. Handshakes the client aborted are not counted. Note that one failing HTTP/1.1 request
    /// from SocketsHttpHandler typically costs several handshakes (it retries a fresh connection that closed before
    /// any response: 4 attempts observed), one failing HTTP/2 request costs one; assert "went up", not "+1".
    /// </summary>
    public int FailedHandshakeCount => Volatile.Read(ref _failedHandshakeCount);

    /// <summary>The number of TCP connections open right now.</summary>
    public int OpenConnectionCount => Volatile.Read(ref _openConnectionCount);

    /// <summary>The number of TCP connections accepted since start.</summary>
    public int TotalConnectionCount => Volatile.Read(ref _totalConnectionCount);

    /// <summary>Why each rejected handshake was rejected (one line each), in order; handy in assertion messages.</summary>
    public IReadOnlyList<string> HandshakeFailures => _handshakeFailures.ToArray();

    /// <summary>
    /// Starts a server for <paramref name="ca"/> listening on 127.0.0.1 with an OS-assigned port.
    /// </summary>
    /// <param name="ca">Supplies the default server certificate, server intermediate and trusted client root.</param>
    /// <param name="configure">Optional changes to <see cref="MtlsTestServerOptions"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    public static async Task<MtlsTestServer> StartAsync(TestCertificateAuthority ca, Action<MtlsTestServerOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var options = new MtlsTestServerOptions();
        configure?.Invoke(options);
        Validate(options);

        var server = new MtlsTestServer(ca, options);
        try
        {
            await server.StartCoreAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void Validate(MtlsTestServerOptions options)
    {
        if ((options.Protocols & HttpProtocols.Http3) != 0)
        {
            throw new NotSupportedException("MtlsTestServer does not support HTTP/3 (Kestrel's TLS callback is TCP only).");
        }

        if (options.ClientCertificateMode is not (ClientCertificateMode.NoCertificate or ClientCertificateMode.AllowCertificate or ClientCertificateMode.RequireCertificate))
        {
            throw new NotSupportedException($"MtlsTestServer does not support ClientCertificateMode.{options.ClientCertificateMode}; use NoCertificate, AllowCertificate or RequireCertificate.");
        }

        if (options.RejectionStatusCode is { } status && (status < 400 || status > 599))
        {
            throw new ArgumentException($"MtlsTestServerOptions.RejectionStatusCode must be an HTTP error status (400-599), not {status}.", nameof(options));
        }

        if (options.RejectClientHelloWithTlsAlert is { } early)
        {
            if (!Enum.IsDefined(early))
            {
                throw new ArgumentException($"MtlsTestServerOptions.RejectClientHelloWithTlsAlert has an unknown value {(int)early}.", nameof(options));
            }

            if (options.RejectWithTlsAlert is not null || options.RejectionStatusCode is not null)
            {
                throw new ArgumentException("MtlsTestServerOptions.RejectClientHelloWithTlsAlert cannot be combined with RejectWithTlsAlert or RejectionStatusCode: a ClientHello refused with an alert never gets further.", nameof(options));
            }
        }

#pragma warning disable CA5398 // Not a protocol choice: the test server's option is checked against the versions it supports.
        if ((options.SslProtocols & ~(SslProtocols.Tls12 | SslProtocols.Tls13)) != SslProtocols.None)
#pragma warning restore CA5398
        {
            throw new ArgumentException($"MtlsTestServerOptions.SslProtocols may only combine Tls12 and Tls13 (or be None for the platform's default); it is {options.SslProtocols}.", nameof(options));
        }

        if (options.RejectWithTlsAlert is { } alert)
        {
            if (alert == TlsAlert.CertificateRequired)
            {
                throw new ArgumentException("MtlsTestServerOptions.RejectWithTlsAlert cannot be CertificateRequired: OpenSSL sends that alert itself when no certificate is sent. Use RejectClientHelloWithTlsAlert to send it as such.", nameof(options));
            }

            if (!Enum.IsDefined(alert))
            {
                throw new ArgumentException($"MtlsTestServerOptions.RejectWithTlsAlert has an unknown value {(int)alert}.", nameof(options));
            }

            if (options.RejectionStatusCode is not null)
            {
                throw new ArgumentException("MtlsTestServerOptions.RejectWithTlsAlert and RejectionStatusCode cannot be combined: a handshake refused with an alert never reaches HTTP.", nameof(options));
            }

            if (!OpenSslAlertRejector.IsSupported)
            {
                throw new PlatformNotSupportedException("MtlsTestServerOptions.RejectWithTlsAlert needs the system's libssl (OpenSSL 1.1 or 3) on Linux.");
            }
        }
    }

    /// <summary>
    /// Reads the JSON <see cref="MtlsRequestReport"/> returned by the server (System.Text.Json web defaults).
    /// Throws <see cref="HttpRequestException"/> for a non-success status code.
    /// </summary>
    /// <param name="response">A response from the test server.</param>
    /// <param name="ct">Cancels the read.</param>
    /// <returns>The deserialized report.</returns>
    public static Task<MtlsRequestReport> ReadReportAsync(HttpResponseMessage response, CancellationToken ct = default)
        => MtlsRequestReport.ReadCoreAsync(response, ct);

    /// <summary>
    /// Returns the report recorded for the current request, for use inside <see cref="MtlsTestServerOptions.RequestHandler"/>.
    /// </summary>
    /// <param name="context">The request context.</param>
    /// <returns>The report, or <see langword="null"/> for a context not served by an <see cref="MtlsTestServer"/>.</returns>
    public static MtlsRequestReport? GetReport(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(typeof(MtlsRequestReport), out object? value) ? value as MtlsRequestReport : null;
    }

    /// <summary>
    /// Replaces the server's own certificate while the server runs, as a server does when its certificate is renewed:
    /// every TLS handshake from now on presents <paramref name="certificate"/> (with
    /// <paramref name="intermediates"/>); connections already open keep the certificate they were established with.
    /// </summary>
    /// <param name="certificate">The new server certificate, with its private key. The caller keeps ownership and must
    /// keep it alive until the server is disposed.</param>
    /// <param name="intermediates">The intermediates to send after it; <see langword="null"/> or empty sends the leaf only.</param>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="certificate"/> has no private key.</exception>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public void RotateServerCertificate(X509Certificate2 certificate, X509Certificate2Collection? intermediates = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException($"The server certificate '{certificate.Subject}' has no private key.", nameof(certificate));
        }

        _identity = ServerIdentity.Create(certificate, intermediates ?? [], _clientCaTrust);
    }

    /// <summary>Forgets the reports recorded so far (counters are kept).</summary>
    public void ClearReports() => _reports.Clear();

    /// <summary>
    /// Stops the server, giving in-flight requests <see cref="MtlsTestServerOptions.ShutdownTimeout"/> before aborting
    /// them, and releases it.
    /// </summary>
    /// <returns>A task that completes when the server is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_app is not null)
        {
            using (var timeout = new CancellationTokenSource(_options.ShutdownTimeout))
            {
                try
                {
                    await _app.StopAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Kestrel aborts whatever is still open once the token fires.
                }
            }

            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _ownedServerCertificate?.Dispose();
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        // The empty builder reads no appsettings.json, no environment variables and no command line, so nothing
        // can add endpoints (Kestrel:Endpoints, ASPNETCORE_URLS, ...) next to the single loopback one below.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(MtlsTestServer).Assembly.GetName().Name,
            EnvironmentName = Environments.Production,
        });

        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = _options.ShutdownTimeout);
        if (_options.MapEndpoints is not null)
        {
            builder.Services.AddRouting();
        }

        _options.ConfigureServices?.Invoke(builder.Services);
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = _options.Protocols;

                // Outermost: sees every TCP connection, including those whose handshake fails.
                listen.Use(next => async connection =>
                {
                    Interlocked.Increment(ref _totalConnectionCount);
                    Interlocked.Increment(ref _openConnectionCount);
                    try
                    {
                        await next(connection).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _openConnectionCount);
                    }
                });

                if (_options.RejectClientHelloWithTlsAlert is { } early)
                {
                    // Terminal: the alert answers the ClientHello itself, before any TLS state exists.
                    listen.Use(_ => connection => RejectClientHelloAsync(connection, early));
                    return;
                }

                if (_options.RejectWithTlsAlert is { } alert)
                {
                    // Terminal: these connections never reach Kestrel's HTTPS middleware.
                    listen.Use(_ => connection => RejectWithAlertAsync(connection, alert));
                    return;
                }

                // ApplicationProtocols is left null on purpose: Kestrel then fills ALPN from listen.Protocols
                // (h2 before http/1.1), see HttpsConnectionMiddleware.ServerOptionsCallback.
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = _identity.Context,
                        ClientCertificateRequired = _options.ClientCertificateMode != ClientCertificateMode.NoCertificate,
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                        EnabledSslProtocols = _options.SslProtocols,
                        RemoteCertificateValidationCallback = ValidateClientCertificate,
                    }),
                    HandshakeTimeout = _options.HandshakeTimeout,
                });

                // Inside the HTTPS middleware: only reached after a successful handshake.
                listen.Use(next => connection =>
                {
                    Interlocked.Increment(ref _handshakeCount);
                    return next(connection);
                });
            });
        });

        WebApplication app = builder.Build();
        _app = app;
        app.Use(RecordRequestAsync);
        if (_options.MapEndpoints is { } mapEndpoints)
        {
            // After the recording step, so that endpoint requests are reported and rejected like any other.
            app.UseRouting();
            mapEndpoints(app);
            app.UseEndpoints(_ => { });
        }

        app.Run(HandleRequestAsync);

        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        IServerAddressesFeature addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        var bound = new Uri(addresses.Addresses.Single());
        Port = bound.Port;
        BaseAddress = new Uri($"https://127.0.0.1:{Port}/");
        LocalhostAddress = new Uri($"https://localhost:{Port}/");
    }

    /// <summary>Records every request and answers a refused certificate with <see cref="MtlsTestServerOptions.RejectionStatusCode"/>.</summary>
    private async Task RecordRequestAsync(HttpContext context, RequestDelegate next)
    {
        MtlsRequestReport report = CreateReport(context);
        _reports.Enqueue(report);
        context.Items[typeof(MtlsRequestReport)] = report;

        if (report.CertificateError is not null && _options.RejectionStatusCode is { } status)
        {
            await WriteRejectionAsync(context, status, report.Subject is null).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private async Task HandleRequestAsync(HttpContext context)
    {
        MtlsRequestReport report = GetReport(context)!;
        if (_options.RequestHandler is { } handler && await handler(context).ConfigureAwait(false))
        {
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, report, TestingJsonContext.Default.MtlsRequestReport, context.RequestAborted).ConfigureAwait(false);
    }

    private MtlsRequestReport CreateReport(HttpContext context)
    {
        // Kestrel's request feature collection falls back to the connection features, where the HTTPS
        // middleware put ISslStreamFeature; HTTP/2 streams of one connection share the same SslStream.
        SslStream? sslStream = context.Features.Get<ISslStreamFeature>()?.SslStream;
        HandshakeRecord? record = null;
        if (sslStream is not null)
        {
            _handshakes.TryGetValue(sslStream, out record);
        }

        string tlsProtocol = context.Features.Get<ITlsHandshakeFeature>()?.Protocol.ToString()
            ?? sslStream?.SslProtocol.ToString()
            ?? "None";

        return new MtlsRequestReport(
            record?.Leaf?.Subject,
            record?.Leaf?.Thumbprint,
            record?.SentChain ?? [],
            context.Request.Protocol,
            tlsProtocol,
            context.Connection.Id)
        {
            SessionResumed = record?.SessionResumed ?? false,
            CertificateError = record?.CertificateError,
        };
    }

    /// <summary>The page nginx sends for <c>ssl_verify_client</c> failures, with this server's name at the bottom.</summary>
    private static async Task WriteRejectionAsync(HttpContext context, int status, bool missing)
    {
        string message = missing ? "No required SSL certificate was sent" : "The SSL certificate error";
        string reason = ReasonPhrases.GetReasonPhrase(status);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html";
        await context.Response.WriteAsync(
            $"<html>\r\n<head><title>{status} {message}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<center>{message}</center>\r\n<hr><center>MtlsTestServer</center>\r\n</body>\r\n</html>\r\n",
            context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Reads the ClientHello and answers it with one fatal alert record, as a server that refuses the handshake outright does.</summary>
    private async Task RejectClientHelloAsync(ConnectionContext connection, TlsAlert alert)
    {
        try
        {
            // The ClientHello's content does not matter; the answer is record type 21 (alert), version 3.3, length 2,
            // level 2 (fatal), description.
            ReadResult hello = await connection.Transport.Input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
            connection.Transport.Input.AdvanceTo(hello.Buffer.End);
            Reject($"ClientHello refused with TLS alert {alert} (RejectClientHelloWithTlsAlert)");
            await connection.Transport.Output.WriteAsync(new byte[] { 21, 3, 3, 0, 2, 2, (byte)alert }, connection.ConnectionClosed).ConfigureAwait(false);
            await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException)
        {
            // The client went away first.
        }
    }

    private async Task RejectWithAlertAsync(ConnectionContext connection, TlsAlert alert)
    {
        ServerIdentity identity = _identity;
        try
        {
            await OpenSslAlertRejector.RejectAsync(
                connection.Transport,
                identity.Certificate,
                identity.Intermediates,
                alert,
                ((_options.Protocols & HttpProtocols.Http2) != 0 ? OpenSslAlertRejector.Alpn.Http2 : OpenSslAlertRejector.Alpn.None)
                    | ((_options.Protocols & HttpProtocols.Http1) != 0 ? OpenSslAlertRejector.Alpn.Http11 : OpenSslAlertRejector.Alpn.None),
                _options.SslProtocols,
                leaf => Reject(leaf is null
                    ? "handshake refused: no client certificate was received (OpenSSL answers certificate_required under TLS 1.3, handshake_failure under TLS 1.2)"
                    : $"client certificate '{leaf.Subject}' refused with TLS alert {alert} (RejectWithTlsAlert)"),
                connection.ConnectionClosed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException)
        {
            // The client went away mid-handshake; the refusal is recorded all the same.
        }
    }

    /// <summary>
    /// The server's own client-certificate validation.
    /// <para>
    /// Verified empirically (.NET 10.0, Linux, OpenSSL 3): SslStream hands this callback a chain (TrustMode System,
    /// already built against the machine trust, hence RemoteCertificateChainErrors) whose <c>ChainPolicy.ExtraStore</c>
    /// holds exactly the certificates the client sent AFTER its leaf, in the order sent. The leaf is not in it and
    /// nothing is added from the server's side: a leaf-only client yields an empty ExtraStore even though this
    /// server knows the intermediate. With no client certificate the callback gets certificate = null, chain = null
    /// and RemoteCertificateNotAvailable. That chain is ignored; a fresh one is built that may use only the sent
    /// certificates plus <see cref="MtlsTestServerOptions.TrustedClientRoots"/>.
    /// </para>
    /// <para>
    /// The callback runs after OpenSSL has finished its side of the handshake (TLS 1.2 and 1.3 alike), so a client
    /// sees a rejection as the connection closing right after a "successful" handshake, not as an
    /// AuthenticationException.
    /// </para>
    /// </summary>
    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors)
    {
        var sslStream = (SslStream)sender;

        if (certificate is null)
        {
            if (_options.ClientCertificateMode != ClientCertificateMode.RequireCertificate)
            {
                _handshakes.AddOrUpdate(sslStream, new HandshakeRecord(null, []));
                return true;
            }

            const string missing = "no client certificate was sent";
            if (_options.RejectionStatusCode is not null)
            {
                _handshakes.AddOrUpdate(sslStream, new HandshakeRecord(null, []) { CertificateError = missing });
                return true;
            }

            _handshakes.AddOrUpdate(sslStream, new HandshakeRecord(null, []));
            return Reject(missing);
        }

        // SslStream passes an X509Certificate2 here; the fallback copy only guards against other platforms.
        X509Certificate2? copy = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        try
        {
            X509Certificate2 leaf = (certificate as X509Certificate2) ?? copy!;

            var sent = new List<X509Certificate2>();
            if (chain is not null)
            {
                foreach (X509Certificate2 candidate in chain.ChainPolicy.ExtraStore)
                {
                    // Defensive: should the platform ever include the leaf, keep it out of the "sent chain" list.
                    if (!candidate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                    {
                        sent.Add(candidate);
                    }
                }
            }

            var leafInfo = new ReceivedCertificate(leaf.Subject, leaf.Thumbprint);
            ReceivedCertificate[] sentInfo = [.. sent.Select(c => new ReceivedCertificate(c.Subject, c.Thumbprint))];

            // A resumed TLS session (the client connected to a host name before, so it sent SNI and a session
            // ticket) carries only the leaf restored from the session: OpenSSL does not keep the peer's chain in it.
            // Measured here: the callback then sees the leaf with an empty ExtraStore. Real servers do not re-verify
            // a resumed session either, so a leaf whose full chain this server already validated is accepted, and
            // reported with the chain it was originally validated with.
            // A leaf-only handshake from a client whose issuer this server trusts directly (TrustedClientRoots holds
            // the intermediate) is told apart by validating it like any full handshake, so that the server does, and
            // reports, the work a real server does for a client that sends its leaf alone.
            if (sent.Count == 0 && !IssuerIsTrusted(leaf) && _validatedChains.TryGetValue(leaf.Thumbprint, out ReceivedCertificate[]? originalChain))
            {
                _handshakes.AddOrUpdate(sslStream, new HandshakeRecord(leafInfo, originalChain) { SessionResumed = true });
                return true;
            }

            string? failure = ValidateChain(leaf, sent);
            if (failure is null)
            {
                _handshakes.AddOrUpdate(sslStream, new HandshakeRecord(leafInfo, sentInfo));
                _validatedChains[leaf.Thumbprint] = sentInfo;
                return true;
            }

            if (_options.RejectionStatusCode is not null)
            {
                _handshakes.AddOrUpdate(sslStream, new HandshakeRecord(leafInfo, sentInfo) { CertificateError = failure });
                return true;
            }

            _handshakes.AddOrUpdate(sslStream, new HandshakeRecord(leafInfo, sentInfo));
            return Reject($"client certificate '{leaf.Subject}' rejected: {failure}");
        }
        finally
        {
            copy?.Dispose();
        }
    }

    private bool IssuerIsTrusted(X509Certificate2 leaf)
    {
        foreach (X509Certificate2 trusted in _trustedClientRoots)
        {
            if (trusted.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData))
            {
                return true;
            }
        }

        return false;
    }

    /// <returns><see langword="null"/> when valid, otherwise the reason.</returns>
    private string? ValidateChain(X509Certificate2 leaf, List<X509Certificate2> sent)
    {
        X509EnhancedKeyUsageExtension? eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is not null && !eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Any(o => o.Value == TestCertificateAuthority.ClientAuthenticationOid))
        {
            return "the enhanced key usage extension does not allow clientAuth";
        }

        using var validation = new X509Chain();
        validation.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        validation.ChainPolicy.CustomTrustStore.AddRange(_trustedClientRoots);
        validation.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        validation.ChainPolicy.DisableCertificateDownloads = true;
        validation.ChainPolicy.ExtraStore.AddRange(sent.ToArray());

        try
        {
            if (validation.Build(leaf))
            {
                return null;
            }

            return "chain did not build: " + string.Join(
                "; ",
                validation.ChainStatus.Select(s => $"{s.Status} ({s.StatusInformation.Trim()})"));
        }
        finally
        {
            // Chain elements are fresh objects; dispose them unless the platform handed back one of ours.
            foreach (X509ChainElement element in validation.ChainElements)
            {
                X509Certificate2 built = element.Certificate;
                bool ours = ReferenceEquals(built, leaf)
                    || sent.Exists(c => ReferenceEquals(c, built))
                    || _trustedClientRoots.Any(c => ReferenceEquals(c, built));
                if (!ours)
                {
                    built.Dispose();
                }
            }
        }
    }

    private bool Reject(string reason)
    {
        Interlocked.Increment(ref _failedHandshakeCount);
        _handshakeFailures.Enqueue(reason);
        return false;
    }

    private sealed record HandshakeRecord(ReceivedCertificate? Leaf, ReceivedCertificate[] SentChain)
    {
        public bool SessionResumed { get; init; }

        public string? CertificateError { get; init; }
    }

    private sealed record ServerIdentity(X509Certificate2 Certificate, X509Certificate2[] Intermediates, SslStreamCertificateContext Context)
    {
        public static ServerIdentity Create(X509Certificate2 certificate, X509Certificate2Collection intermediates, SslCertificateTrust? clientCaTrust)
            => new(certificate, [.. intermediates], SslStreamCertificateContext.Create(certificate, intermediates, offline: true, clientCaTrust));
    }
}
