using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.Testing;

/// <summary>
/// Settings for <see cref="MtlsTestServer.StartAsync"/>.
/// </summary>
public sealed class MtlsTestServerOptions
{
    /// <summary>
    /// The server certificate (with private key). <see langword="null"/> means a fresh
    /// <see cref="TestCertificateAuthority.IssueServerCertificate"/> owned and disposed by the server.
    /// </summary>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>
    /// When <see langword="true"/> (the default) the server sends its leaf plus the intermediate(s) in the handshake;
    /// when <see langword="false"/> it sends the leaf only.
    /// </summary>
    public bool SendServerIntermediate { get; set; } = true;

    /// <summary>
    /// The intermediates sent after the server leaf when <see cref="SendServerIntermediate"/> is set.
    /// <see langword="null"/> means the CA's <see cref="TestCertificateAuthority.Intermediate"/>.
    /// </summary>
    public X509Certificate2Collection? ServerIntermediates { get; set; }

    /// <summary>
    /// Whether the server asks for a client certificate and whether it insists on one (the <c>ssl_verify_client</c>
    /// of nginx: <see cref="ClientCertificateMode.RequireCertificate"/> is <c>on</c>,
    /// <see cref="ClientCertificateMode.AllowCertificate"/> is <c>optional</c>).
    /// </summary>
    /// <value>The default value is <see cref="ClientCertificateMode.RequireCertificate"/>.</value>
    /// <remarks>
    /// <see cref="ClientCertificateMode.NoCertificate"/> does not ask for a certificate at all.
    /// <see cref="ClientCertificateMode.AllowCertificate"/> asks, accepts a connection without one (the report then has
    /// no subject) and still rejects a certificate that does not validate.
    /// <see cref="ClientCertificateMode.DelayCertificate"/> (renegotiation) is not supported.
    /// How a rejection looks to the client is chosen with <see cref="RejectionStatusCode"/> and
    /// <see cref="RejectWithTlsAlert"/>.
    /// </remarks>
    public ClientCertificateMode ClientCertificateMode { get; set; } = ClientCertificateMode.RequireCertificate;

    /// <summary>
    /// When set, a missing (but required) or invalid client certificate is not refused in the TLS handshake: the
    /// handshake succeeds and every request on the connection is answered with this status code and a short HTML
    /// page, as nginx does (400 "No required SSL certificate was sent" or 400 "The SSL certificate error").
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the handshake is refused.</value>
    /// <remarks>
    /// The request is still recorded in <see cref="MtlsTestServer.Reports"/>, with
    /// <see cref="MtlsRequestReport.CertificateError"/> saying why the certificate was refused; such handshakes count
    /// in <see cref="MtlsTestServer.HandshakeCount"/>, not in <see cref="MtlsTestServer.FailedHandshakeCount"/>.
    /// </remarks>
    public int? RejectionStatusCode { get; set; }

    /// <summary>
    /// When set, the server refuses EVERY TLS handshake with this fatal alert as soon as the client has sent its
    /// certificate, the way an OpenSSL-based server (nginx, Envoy, HAProxy) refuses a certificate it does not accept.
    /// No request is ever served; <see cref="MtlsTestServer.HandshakeFailures"/> records each refusal.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: certificates are validated and the server behaves normally.</value>
    /// <remarks>
    /// <para>
    /// Without this option a refused handshake reaches a .NET client on Linux as a closed connection without any
    /// alert: on .NET 10, SslStream validates the client certificate only after OpenSSL has completed the handshake,
    /// and then closes the connection (no alert is sent for any validation result). To send a real alert, the test
    /// server runs these handshakes with the system's libssl (OpenSSL 1.1 or 3) directly. Linux only:
    /// <see cref="MtlsTestServer.StartAsync"/> throws <see cref="PlatformNotSupportedException"/> elsewhere.
    /// </para>
    /// <para>
    /// With TLS 1.3 the client finishes its side of the handshake before the server has checked the certificate, so
    /// the alert surfaces when the client first reads (for HttpClient: the request fails); with TLS 1.2 it fails the
    /// handshake itself. A client that sends no certificate receives <c>certificate_required</c> (TLS 1.3) or
    /// <c>handshake_failure</c> (TLS 1.2) instead of the chosen alert. With HTTP/2 over TLS 1.3, SocketsHttpHandler can
    /// report only that "the server did not complete the HTTP/2 handshake" instead of the alert. Cannot be combined
    /// with <see cref="RejectionStatusCode"/>.
    /// </para>
    /// </remarks>
    public TlsAlert? RejectWithTlsAlert { get; set; }

    /// <summary>
    /// When set, the server answers EVERY ClientHello with this fatal alert record and closes, before any handshake: the
    /// way a server (or a TLS-terminating proxy) that refuses the connection outright, before asking for a
    /// certificate, rejects one. The client's TLS library parses a real alert record. No request is ever served;
    /// <see cref="MtlsTestServer.HandshakeFailures"/> records each refusal. Works on every platform.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>Cannot be combined with <see cref="RejectWithTlsAlert"/> or <see cref="RejectionStatusCode"/>.</remarks>
    public TlsAlert? RejectClientHelloWithTlsAlert { get; set; }

    /// <summary>
    /// Gets or sets the TLS versions the server accepts: <see cref="SslProtocols.Tls12"/>, <see cref="SslProtocols.Tls13"/>,
    /// both, or <see cref="SslProtocols.None"/> for the platform's default. Applies to normal handshakes and to
    /// <see cref="RejectWithTlsAlert"/> alike, so an alert can be tested under TLS 1.2 (during the handshake) and under
    /// TLS 1.3 (after it).
    /// </summary>
    /// <value>The default value is <see cref="SslProtocols.None"/>: the platform's default (TLS 1.2 and 1.3).</value>
    public SslProtocols SslProtocols { get; set; } = SslProtocols.None;

    /// <summary>
    /// The only roots a client certificate may chain to. <see langword="null"/> means just the CA's
    /// <see cref="TestCertificateAuthority.Root"/>. The system trust store is never consulted.
    /// </summary>
    public X509Certificate2Collection? TrustedClientRoots { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the certificate request lists the distinguished names of
    /// <see cref="TrustedClientRoots"/> (default: the CA root) as the acceptable certificate authorities, as nginx's
    /// <c>ssl_client_certificate</c> does.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: an empty list, as Kestrel sends.</value>
    public bool SendAcceptableClientCaNames { get; set; }

    /// <summary>The HTTP protocols offered (through ALPN).</summary>
    /// <value>The default value is <see cref="HttpProtocols.Http1AndHttp2"/>.</value>
    public HttpProtocols Protocols { get; set; } = HttpProtocols.Http1AndHttp2;

    /// <summary>
    /// Optional hook run for every request before the built-in <c>/whoami</c> reply. Return <see langword="true"/>
    /// when the request was handled (for example a 503 reply or <see cref="HttpContext.Abort"/>), <see langword="false"/>
    /// to fall through to the report. The request is recorded in <see cref="MtlsTestServer.Reports"/> either way;
    /// <see cref="MtlsTestServer.GetReport"/> returns it inside the hook.
    /// </summary>
    public Func<HttpContext, Task<bool>>? RequestHandler { get; set; }

    /// <summary>
    /// Optional registrations for the server's own services, run before it starts: for example <c>AddGrpc()</c> for the
    /// endpoints of <see cref="MapEndpoints"/>.
    /// </summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>
    /// Optional endpoints served behind the certificate check: for example <c>MapGrpcService&lt;T&gt;()</c> (gRPC needs
    /// <see cref="Protocols"/> to include HTTP/2, as it does by default). A request that matches one is recorded in
    /// <see cref="MtlsTestServer.Reports"/> and answered by it (<see cref="MtlsTestServer.GetReport"/> works inside it);
    /// the others reach <see cref="RequestHandler"/> and the <c>/whoami</c> reply as usual.
    /// </summary>
    public Action<IEndpointRouteBuilder>? MapEndpoints { get; set; }

    /// <summary>Maximum time allowed for a TLS handshake.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long <see cref="MtlsTestServer.DisposeAsync"/> lets in-flight requests finish before aborting them.
    /// </summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
