using ClientCertHttp.Trust;

namespace ClientCertHttp.Diagnostics;

/// <summary>Which side of a mutual-TLS connection made a request fail, as a <see cref="ClientCertHttpFailureDiagnosis"/> found it.</summary>
public enum ClientCertHttpFailureSide
{
    /// <summary>The evidence does not say.</summary>
    Unknown = 0,

    /// <summary>This client's trust checks rejected the server's certificate (see <see cref="ServerCertificateValidationException"/>).</summary>
    ServerCertificateRejected = 1,

    /// <summary>The server asked for a client certificate and rejected the one this client sent.</summary>
    ClientCertificateRejected = 2,

    /// <summary>The server never asked for a client certificate, so none was sent, and then refused the request.</summary>
    ClientCertificateNotRequested = 3,

    /// <summary>No connection could be made (refused, unreachable, name not resolved): no TLS handshake took place.</summary>
    Network = 4,

    /// <summary>The TLS handshake failed for a reason other than certificates (protocol version, cipher suites, …).</summary>
    TlsHandshakeFailed = 5,

    /// <summary>The server asked for a client certificate and none was sent (the <c>clientcert probe</c> command run without one).</summary>
    ClientCertificateMissing = 6,

    /// <summary>The connection and the certificates were fine; the server's HTTP error status is the application's answer.</summary>
    HttpStatus = 7,
}
