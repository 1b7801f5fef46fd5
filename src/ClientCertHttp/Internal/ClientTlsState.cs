using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;

namespace ClientCertHttp.Internal;

/// <summary>Everything a client's handlers need for TLS, built once per options instance.</summary>
internal sealed class ClientTlsState(LoadedClientCertificate certificate, X509ChainPolicy? serverChainPolicy) : IDisposable
{
    public LoadedClientCertificate Certificate { get; } = certificate;

    /// <summary>Gets the chain policy for validating the server, or <see langword="null"/> for the platform's default.</summary>
    public X509ChainPolicy? ServerChainPolicy { get; } = serverChainPolicy;

    public void Dispose()
    {
        Certificate.Dispose();
        if (ServerChainPolicy is not null)
        {
            foreach (var root in ServerChainPolicy.CustomTrustStore)
            {
                root.Dispose();
            }
        }
    }
}
