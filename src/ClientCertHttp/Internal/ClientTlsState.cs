using ClientCertHttp.Certificates;
using ClientCertHttp.Trust;

namespace ClientCertHttp.Internal;

/// <summary>Everything a client's handlers need for TLS, built once per options instance.</summary>
internal sealed class ClientTlsState(LoadedClientCertificate certificate, ServerTrustSettings serverTrust, ServerCertificateVerifier serverVerifier) : IDisposable
{
    public LoadedClientCertificate Certificate { get; } = certificate;

    /// <summary>Gets the server trust settings; their chain policy is cloned into every handler.</summary>
    public ServerTrustSettings ServerTrust { get; } = serverTrust;

    /// <summary>Gets the server certificate validation callback shared by every handler of the client.</summary>
    public ServerCertificateVerifier ServerVerifier { get; } = serverVerifier;

    public void Dispose()
    {
        Certificate.Dispose();
        ServerTrust.Dispose();
    }
}
