using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Testing.Tests;

/// <summary>Plain SocketsHttpHandler clients for the test kit's servers: what a user's own test would write.</summary>
internal static class TestClients
{
    public static HttpClient Create(
        TestCertificateAuthority ca,
        X509Certificate2? clientCertificate,
        TlsVersion version = TlsVersion.Default,
        bool sendIntermediate = true,
        Action<X509Certificate2?>? onServerCertificate = null)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions =
            {
                EnabledSslProtocols = ToSslProtocols(version),
                ClientCertificateContext = clientCertificate is null
                    ? null
                    : SslStreamCertificateContext.Create(clientCertificate, sendIntermediate ? [ca.Intermediate] : [], offline: true),
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { ca.Root },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
        };
        if (onServerCertificate is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                onServerCertificate(certificate as X509Certificate2);
                return errors == SslPolicyErrors.None;
            };
        }

        return new HttpClient(handler);
    }

    public static HttpRequestMessage Get(Uri address, Version? version = null) => new(HttpMethod.Get, address)
    {
        Version = version ?? HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public static SslProtocols ToSslProtocols(TlsVersion version) => version switch
    {
#pragma warning disable CA5398 // Pinned on purpose: a refusal surfaces in the handshake under TLS 1.2, at the first read under TLS 1.3.
        TlsVersion.Tls12 => SslProtocols.Tls12,
        TlsVersion.Tls13 => SslProtocols.Tls13,
#pragma warning restore CA5398
        _ => SslProtocols.None,
    };

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, Uri address, Version? version = null)
    {
        using HttpRequestMessage request = Get(address, version);
        return await client.SendAsync(request);
    }

    /// <summary>Every message of the exception chain, outermost first: OpenSSL's alert text is in the innermost.</summary>
    public static string Messages(Exception exception)
    {
        var messages = new List<string>();
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            messages.Add($"{current.GetType().Name}: {current.Message}");
        }

        return string.Join(" ---> ", messages);
    }
}

/// <summary>The TLS version a test client offers.</summary>
public enum TlsVersion
{
    /// <summary>Whatever the platform negotiates (TLS 1.3 on current Linux).</summary>
    Default,

    /// <summary>TLS 1.2 only.</summary>
    Tls12,

    /// <summary>TLS 1.3 only.</summary>
    Tls13,
}
