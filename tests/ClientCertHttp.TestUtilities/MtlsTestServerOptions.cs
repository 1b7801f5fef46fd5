using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ClientCertHttp.TestUtilities;

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
    /// When <see langword="true"/> (the default) the server asks for a client certificate and fails the handshake
    /// without a valid one. When <see langword="false"/> the server does not ask for one at all.
    /// </summary>
    public bool RequireClientCertificate { get; set; } = true;

    /// <summary>
    /// The only roots a client certificate may chain to. <see langword="null"/> means just the CA's
    /// <see cref="TestCertificateAuthority.Root"/>. The system trust store is never consulted.
    /// </summary>
    public X509Certificate2Collection? TrustedClientRoots { get; set; }

    /// <summary>
    /// When <see langword="true"/>, the certificate request lists the distinguished names of
    /// <see cref="TrustedClientRoots"/> as the acceptable certificate authorities (as nginx's
    /// <c>ssl_client_certificate</c> does). The default, <see langword="false"/>, sends an empty list, as Kestrel does.
    /// </summary>
    public bool SendAcceptableClientCaNames { get; set; }

    /// <summary>The HTTP protocols offered (through ALPN). Defaults to <see cref="HttpProtocols.Http1AndHttp2"/>.</summary>
    public HttpProtocols Protocols { get; set; } = HttpProtocols.Http1AndHttp2;

    /// <summary>
    /// Optional hook run for every request before the built-in <c>/whoami</c> reply. Return <see langword="true"/>
    /// when the request was handled (for example a 503 reply or <see cref="HttpContext.Abort"/>), <see langword="false"/>
    /// to fall through to the report. The request is recorded in <see cref="MtlsTestServer.Reports"/> either way;
    /// <see cref="MtlsTestServer.GetReport"/> returns it inside the hook.
    /// </summary>
    public Func<HttpContext, Task<bool>>? RequestHandler { get; set; }

    /// <summary>Maximum time allowed for a TLS handshake. Defaults to 10 seconds.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long <see cref="MtlsTestServer.DisposeAsync"/> lets in-flight requests finish before aborting them.
    /// Defaults to 2 seconds.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
