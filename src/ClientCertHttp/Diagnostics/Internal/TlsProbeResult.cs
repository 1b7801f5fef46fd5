using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace ClientCertHttp.Diagnostics;

/// <summary>What one diagnostic handshake saw. Plain values: it serializes with System.Text.Json as is.</summary>
internal sealed record TlsProbeResult
{
    /// <summary>Gets the host the probe connected to.</summary>
    public required string Host { get; init; }

    /// <summary>Gets the TCP port.</summary>
    public required int Port { get; init; }

    /// <summary>Gets how far the probe got.</summary>
    public required TlsProbeOutcome Outcome { get; init; }

    /// <summary>
    /// Gets whether the server asked for a client certificate: known once the handshake reached the server's
    /// certificate request, <see langword="null"/> when it failed earlier.
    /// </summary>
    public bool? ClientCertificateRequested { get; init; }

    /// <summary>Gets the distinguished names of the certificate authorities the server said it accepts (often empty).</summary>
    public IReadOnlyList<string> AcceptableIssuers { get; init; } = [];

    /// <summary>
    /// Gets whether a certificate of the client's chain has, as issuer or subject, one of <see cref="AcceptableIssuers"/>;
    /// <see langword="null"/> when the server listed none or no chain was given.
    /// </summary>
    public bool? ClientChainMatchesAcceptableIssuers { get; init; }

    /// <summary>Gets the listed name the client's chain matched.</summary>
    public string? MatchedAcceptableIssuer { get; init; }

    /// <summary>Gets whether the probe presented a certificate (leaf only, see <see cref="TlsProbeOptions.ClientCertificate"/>).</summary>
    public bool ClientCertificateSent { get; init; }

    /// <summary>Gets the negotiated TLS version, when the handshake completed.</summary>
    public SslProtocols? Protocol { get; init; }

    /// <summary>Gets the negotiated cipher suite, when the handshake completed.</summary>
    public TlsCipherSuite? CipherSuite { get; init; }

    /// <summary>Gets the negotiated ALPN protocol (<c>h2</c>, <c>http/1.1</c>), or <see langword="null"/>.</summary>
    public string? ApplicationProtocol { get; init; }

    /// <summary>Gets the chain the server sent, leaf first.</summary>
    public IReadOnlyList<ClientCertificateChainElement> ServerChain { get; init; } = [];

    /// <summary>Gets the platform's verdict on the server's certificate, when the server sent one.</summary>
    public SslPolicyErrors? ServerCertificateErrors { get; init; }

    /// <summary>Gets whether the server certificate check accepted the server, when it ran.</summary>
    public bool? ServerCertificateAccepted { get; init; }

    /// <summary>Gets the TLS alert the server sent, in OpenSSL's words (<c>unknown ca</c>, <c>certificate required</c>, …).</summary>
    public string? TlsAlert { get; init; }

    /// <summary>Gets the socket error when the connection failed.</summary>
    public SocketError? SocketError { get; init; }

    /// <summary>Gets the first line of the server's answer (for example <c>HTTP/1.1 403 Forbidden</c>), when it answered over HTTP/1.1.</summary>
    public string? FirstAnswerLine { get; init; }

    /// <summary>Gets the failure, as exception type and innermost message (never a secret), or <see langword="null"/>.</summary>
    public string? Error { get; init; }

    /// <summary>Gets the address the probe connected to (IPv4-mapped addresses written as IPv4).</summary>
    public string? RemoteAddress { get; init; }

    /// <summary>Gets the exception behind a failed connection or handshake, for callers that classify it; not serialized.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Exception? Failure { get; init; }

    /// <summary>Gets how long the TCP connection took.</summary>
    public TimeSpan ConnectDuration { get; init; }

    /// <summary>Gets how long the TLS handshake took.</summary>
    public TimeSpan HandshakeDuration { get; init; }
}
