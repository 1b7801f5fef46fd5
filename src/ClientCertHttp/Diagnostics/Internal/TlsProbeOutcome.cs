namespace ClientCertHttp.Diagnostics;

/// <summary>How far a <see cref="TlsHandshakeProbe"/> got.</summary>
internal enum TlsProbeOutcome
{
    /// <summary>The TCP connection could not be opened (refused, unreachable, name not resolved).</summary>
    ConnectFailed,

    /// <summary>The TLS handshake failed (an alert, a rejected server certificate, a protocol mismatch).</summary>
    HandshakeFailed,

    /// <summary>The handshake completed, then the server closed the connection or sent an alert instead of answering.</summary>
    RejectedAfterHandshake,

    /// <summary>The handshake completed and the server answered (or kept the connection open without answering).</summary>
    Succeeded,

    /// <summary>The probe's time ran out before the handshake completed.</summary>
    TimedOut,
}
