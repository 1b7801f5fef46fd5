namespace ClientCertHttp.Warmup;

/// <summary>
/// Says whether, and how many, connections a client opens and handshakes when the host starts, so that the first
/// real request does not pay for a full mutual-TLS handshake.
/// </summary>
/// <remarks>
/// <para>
/// Off by default. When <see cref="Connections"/> is above zero, a hosted service sends that many concurrent
/// <c>HEAD</c> requests to the client's <see cref="ClientCertHttpOptions.BaseAddress"/> when the host starts, and again
/// after every reload that changed the certificate. The response status is ignored: any response proves the TCP
/// connection and the TLS handshake are done, which is what the warm-up is for. Failures are logged, never thrown.
/// </para>
/// <para>
/// Warm connections live in the handler the factory uses at that moment and follow the usual connection rules: an
/// HTTP/1.1 connection carries one request at a time, so <see cref="Connections"/> concurrent requests open that many
/// connections; HTTP/2 multiplexes every request over one connection. Idle connections are closed after
/// <see cref="SocketsHttpHandler.PooledConnectionIdleTimeout"/> (one minute by default), so warm up for a request that
/// follows startup, not for one an hour later.
/// </para>
/// </remarks>
public sealed class ClientCertHttpWarmupOptions
{
    /// <summary>Gets or sets how many connections are opened and handshaken when the host starts.</summary>
    /// <value>The default value is 0 (no warm-up); it must be between 0 and 100, and above 0 needs a <c>BaseAddress</c>.</value>
    public int Connections { get; set; }

    /// <summary>
    /// Gets or sets how long the warm-up may hold up the start of the host; connections not ready by then are
    /// abandoned and the host starts anyway.
    /// </summary>
    /// <value>The default value is 10 seconds; it must be between 100 milliseconds and 5 minutes.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the HTTP version the warm-up requests ask for, and so the kind of connection they open: set
    /// <c>2.0</c> for a gRPC client, whose calls go over HTTP/2 only and would not use a warm HTTP/1.1 connection.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: the client's <see cref="HttpClient.DefaultRequestVersion"/> (1.1
    /// unless the client's configuration changes it). It must be 1.1 or 2.0. The version is negotiated with the
    /// client's <see cref="HttpClient.DefaultVersionPolicy"/>, so a server without HTTP/2 still gets an HTTP/1.1
    /// connection.
    /// </value>
    public Version? HttpVersion { get; set; }
}
