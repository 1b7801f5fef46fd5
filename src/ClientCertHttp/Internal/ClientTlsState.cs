using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;

namespace ClientCertHttp.Internal;

/// <summary>Everything a client's handlers need for TLS, built once per options instance.</summary>
internal sealed class ClientTlsState(LoadedClientCertificate certificate, X509ChainPolicy? serverChainPolicy) : IDisposable
{
    public LoadedClientCertificate Certificate { get; } = certificate;

    /// <summary>Gets the chain policy for validating the server, or <see langword="null"/> for the platform's default.</summary>
    public X509ChainPolicy? ServerChainPolicy { get; } = serverChainPolicy;

    /// <summary>Tells whether another state sends the same certificate chain and trusts the same server roots.</summary>
    public bool HasSameMaterial(ClientTlsState other)
    {
        if (!Certificate.HasSameMaterial(other.Certificate))
        {
            return false;
        }

        var mine = ServerChainPolicy?.CustomTrustStore;
        var theirs = other.ServerChainPolicy?.CustomTrustStore;
        if (mine is null || theirs is null)
        {
            return mine is null && theirs is null;
        }

        return mine.Count == theirs.Count
            && mine.Zip(theirs).All(pair => pair.First.RawDataMemory.Span.SequenceEqual(pair.Second.RawDataMemory.Span));
    }

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
