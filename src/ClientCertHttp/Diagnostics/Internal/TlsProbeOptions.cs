using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Diagnostics;

/// <summary>What <see cref="TlsHandshakeProbe"/> connects to and what it presents.</summary>
internal sealed record TlsProbeOptions
{
    /// <summary>Gets the host to connect to (a name or an IP literal).</summary>
    public required string Host { get; init; }

    /// <summary>Gets the TCP port.</summary>
    public required int Port { get; init; }

    /// <summary>Gets the name sent as SNI and checked against the server's certificate; <see cref="Host"/> when <see langword="null"/>.</summary>
    public string? TargetHost { get; init; }

    /// <summary>
    /// Gets the certificate presented when the server asks for one, or <see langword="null"/> to present none. It is
    /// given through a selection callback (the only way to see the acceptable CA names), which sends the leaf WITHOUT
    /// its intermediates on Linux: the probe's handshake is evidence, never a substitute for a real request.
    /// </summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>
    /// Gets the certificate context presented instead of <see cref="ClientCertificate"/>: the full chain, exactly as the
    /// client's handlers send it. The server's acceptable CA names are then not visible; the <c>clientcert probe</c>
    /// command makes its real connection this way (<see cref="TlsHandshakeProbe.ConnectAsync"/>).
    /// </summary>
    public SslStreamCertificateContext? ClientCertificateContext { get; init; }

    /// <summary>Gets the chain a real request sends (leaf first), matched against the acceptable CA names.</summary>
    public IReadOnlyList<X509Certificate2> ClientChain { get; init; } = [];

    /// <summary>
    /// Gets the server certificate check; the platform's default check (system trust, host name) when
    /// <see langword="null"/>. The probe records the server's chain and the platform's errors before calling it.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>Gets the chain policy for the server's certificate (for example custom roots), or <see langword="null"/>.</summary>
    public X509ChainPolicy? CertificateChainPolicy { get; init; }

    /// <summary>Gets the ALPN protocols offered, in order of preference.</summary>
    public IReadOnlyList<SslApplicationProtocol> ApplicationProtocols { get; init; } = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    /// <summary>Gets the time allowed for the connection, the handshake and the first answer together.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets a value indicating whether, after a successful handshake, the probe sends a minimal HTTP request (or the
    /// HTTP/2 preface) and waits for the first bytes: servers that check the client certificate after the handshake
    /// (Kestrel, TLS 1.3 servers) reject it only then, by an alert or by closing the connection.
    /// </summary>
    public bool WaitForFirstAnswer { get; init; } = true;
}
