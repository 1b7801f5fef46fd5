using System.Net;
using System.Net.Security;
using System.Reflection;
using ClientCertHttp.Internal;

namespace ClientCertHttp.Tests.Internal;

public sealed class SocketsHttpHandlerSettingsTests
{
    [Fact]
    public void Copy_EveryPublicSetting_IsCarriedToTheNewHandler()
    {
        using var source = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.GZip,
            ConnectTimeout = TimeSpan.FromSeconds(7),
            EnableMultipleHttp2Connections = true,
            Expect100ContinueTimeout = TimeSpan.FromSeconds(3),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(9),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            MaxAutomaticRedirections = 4,
            MaxConnectionsPerServer = 3,
            MaxResponseDrainSize = 4096,
            MaxResponseHeadersLength = 128,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(11),
            PooledConnectionLifetime = TimeSpan.FromMinutes(3),
            PreAuthenticate = true,
            ResponseDrainTimeout = TimeSpan.FromSeconds(5),
            UseCookies = false,
            UseProxy = false,
            ConnectCallback = (_, _) => throw new InvalidOperationException(),
        };
        source.Properties["custom"] = 42;
        var ssl = new SslClientAuthenticationOptions
        {
            TargetHost = "api.example.test",
            AllowRenegotiation = false,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.Offline,
        };

        using var copy = SocketsHttpHandlerSettings.Copy(source, ssl);

        foreach (var property in typeof(SocketsHttpHandler).GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.CanRead && p.CanWrite && p.Name != nameof(SocketsHttpHandler.SslOptions)))
        {
            property.GetValue(copy).Should().Be(property.GetValue(source), property.Name);
        }

        copy.Properties["custom"].Should().Be(42);
        copy.SslOptions.Should().NotBeSameAs(ssl);
        copy.SslOptions.TargetHost.Should().Be("api.example.test");
        copy.SslOptions.AllowRenegotiation.Should().BeFalse();
        copy.SslOptions.CertificateRevocationCheckMode.Should().Be(System.Security.Cryptography.X509Certificates.X509RevocationMode.Offline);
        copy.SslOptions.ApplicationProtocols.Should().Equal(SslApplicationProtocol.Http11).And.NotBeSameAs(ssl.ApplicationProtocols);
    }
}
