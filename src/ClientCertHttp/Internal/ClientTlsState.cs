using System.Security.Cryptography.X509Certificates;
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

    /// <summary>Tells whether another state sends the same certificate chain and trusts the same server roots.</summary>
    public bool HasSameMaterial(ClientTlsState other)
    {
        if (!Certificate.HasSameMaterial(other.Certificate))
        {
            return false;
        }

        return SameCertificates(ServerTrust.CustomRoots, other.ServerTrust.CustomRoots)
            && SameCertificates(ServerTrust.Intermediates, other.ServerTrust.Intermediates);
    }

    private static bool SameCertificates(X509Certificate2Collection mine, X509Certificate2Collection theirs) =>
        mine.Count == theirs.Count
        && mine.Zip(theirs).All(pair => pair.First.RawDataMemory.Span.SequenceEqual(pair.Second.RawDataMemory.Span));

    public void Dispose()
    {
        Certificate.Dispose();
        ServerTrust.Dispose();
    }
}
