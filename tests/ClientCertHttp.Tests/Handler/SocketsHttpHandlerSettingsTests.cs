using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Security;
using System.Reflection;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClientCertHttp.Handler;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.Tests.Handler;

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

    [Fact]
    public void Copy_EverySettableHandlerProperty_IsOnTheExplicitList()
    {
        // A distinctive value for every public setting this runtime has. A setting added by a newer runtime has no
        // value here, so this test fails until it is added both here and to SocketsHttpHandlerSettings.Copy.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var values = new Dictionary<string, object?>
        {
            [nameof(SocketsHttpHandler.UseCookies)] = false,
            [nameof(SocketsHttpHandler.CookieContainer)] = new CookieContainer(),
            [nameof(SocketsHttpHandler.AutomaticDecompression)] = DecompressionMethods.Brotli,
            [nameof(SocketsHttpHandler.UseProxy)] = false,
            [nameof(SocketsHttpHandler.Proxy)] = new WebProxy("http://127.0.0.1:9"),
            [nameof(SocketsHttpHandler.DefaultProxyCredentials)] = new NetworkCredential("proxy-user", "proxy-secret"),
            [nameof(SocketsHttpHandler.PreAuthenticate)] = true,
            [nameof(SocketsHttpHandler.Credentials)] = new NetworkCredential("user", "secret"),
            [nameof(SocketsHttpHandler.AllowAutoRedirect)] = false,
            [nameof(SocketsHttpHandler.MaxAutomaticRedirections)] = 4,
            [nameof(SocketsHttpHandler.MaxConnectionsPerServer)] = 3,
            [nameof(SocketsHttpHandler.MaxResponseDrainSize)] = 4096,
            [nameof(SocketsHttpHandler.ResponseDrainTimeout)] = TimeSpan.FromSeconds(5),
            [nameof(SocketsHttpHandler.MaxResponseHeadersLength)] = 128,
            [nameof(SocketsHttpHandler.PooledConnectionLifetime)] = TimeSpan.FromMinutes(3),
            [nameof(SocketsHttpHandler.PooledConnectionIdleTimeout)] = TimeSpan.FromSeconds(11),
            [nameof(SocketsHttpHandler.ConnectTimeout)] = TimeSpan.FromSeconds(7),
            [nameof(SocketsHttpHandler.Expect100ContinueTimeout)] = TimeSpan.FromSeconds(3),
            [nameof(SocketsHttpHandler.InitialHttp2StreamWindowSize)] = 131_072,
            [nameof(SocketsHttpHandler.KeepAlivePingDelay)] = TimeSpan.FromSeconds(30),
            [nameof(SocketsHttpHandler.KeepAlivePingTimeout)] = TimeSpan.FromSeconds(9),
            [nameof(SocketsHttpHandler.KeepAlivePingPolicy)] = HttpKeepAlivePingPolicy.WithActiveRequests,
            [nameof(SocketsHttpHandler.EnableMultipleHttp2Connections)] = true,
            [nameof(SocketsHttpHandler.EnableMultipleHttp3Connections)] = true,
            [nameof(SocketsHttpHandler.ConnectCallback)] = new Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>((_, _) => throw new InvalidOperationException()),
            [nameof(SocketsHttpHandler.PlaintextStreamFilter)] = new Func<SocketsHttpPlaintextStreamFilterContext, CancellationToken, ValueTask<Stream>>((context, _) => ValueTask.FromResult(context.PlaintextStream)),
            [nameof(SocketsHttpHandler.RequestHeaderEncodingSelector)] = new HeaderEncodingSelector<HttpRequestMessage>((_, _) => Encoding.UTF8),
            [nameof(SocketsHttpHandler.ResponseHeaderEncodingSelector)] = new HeaderEncodingSelector<HttpRequestMessage>((_, _) => Encoding.Latin1),
            [nameof(SocketsHttpHandler.ActivityHeadersPropagator)] = DistributedContextPropagator.CreateNoOutputPropagator(),
            [nameof(SocketsHttpHandler.MeterFactory)] = services.GetRequiredService<IMeterFactory>(),
        };
        using var source = new SocketsHttpHandler();
        var settable = typeof(SocketsHttpHandler).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0 && p.Name != nameof(SocketsHttpHandler.SslOptions))
            .ToList();
        settable.Select(p => p.Name).Should().BeEquivalentTo(values.Keys, "every settable SocketsHttpHandler property must be copied by SocketsHttpHandlerSettings.Copy (add new ones there and here)");
        foreach (var property in settable)
        {
            property.GetValue(source).Should().NotBe(values[property.Name], $"the test value of {property.Name} must differ from its default");
            property.SetValue(source, values[property.Name]);
        }

        using var copy = SocketsHttpHandlerSettings.Copy(source, new SslClientAuthenticationOptions());

        foreach (var property in settable)
        {
            property.GetValue(copy).Should().Be(values[property.Name], property.Name);
        }
    }

    [Fact]
    public void Copy_EverySettableTlsOption_IsOnTheExplicitList()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=settings", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var values = new Dictionary<string, object?>
        {
            [nameof(SslClientAuthenticationOptions.AllowRenegotiation)] = false,
            [nameof(SslClientAuthenticationOptions.AllowTlsResume)] = false,
            [nameof(SslClientAuthenticationOptions.LocalCertificateSelectionCallback)] = new LocalCertificateSelectionCallback((_, _, _, _, _) => null!),
            [nameof(SslClientAuthenticationOptions.RemoteCertificateValidationCallback)] = new RemoteCertificateValidationCallback((_, _, _, errors) => errors == SslPolicyErrors.None),
            [nameof(SslClientAuthenticationOptions.ApplicationProtocols)] = new List<SslApplicationProtocol> { SslApplicationProtocol.Http2 },
            [nameof(SslClientAuthenticationOptions.TargetHost)] = "api.example.test",
            [nameof(SslClientAuthenticationOptions.ClientCertificates)] = new X509CertificateCollection(),
            [nameof(SslClientAuthenticationOptions.ClientCertificateContext)] = SslStreamCertificateContext.Create(certificate, null, offline: true),
            [nameof(SslClientAuthenticationOptions.CertificateRevocationCheckMode)] = X509RevocationMode.Offline,
            [nameof(SslClientAuthenticationOptions.EncryptionPolicy)] = (EncryptionPolicy)1,
            [nameof(SslClientAuthenticationOptions.EnabledSslProtocols)] = Enum.Parse<SslProtocols>("Tls13"),
            [nameof(SslClientAuthenticationOptions.CertificateChainPolicy)] = new X509ChainPolicy(),
        };
        if (OperatingSystem.IsLinux())
        {
            values[nameof(SslClientAuthenticationOptions.CipherSuitesPolicy)] = new CipherSuitesPolicy([TlsCipherSuite.TLS_AES_128_GCM_SHA256]);
            values[nameof(SslClientAuthenticationOptions.AllowRsaPssPadding)] = false;
            values[nameof(SslClientAuthenticationOptions.AllowRsaPkcs1Padding)] = false;
        }

        var source = new SslClientAuthenticationOptions();
        var settable = typeof(SslClientAuthenticationOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0)
            .ToList();
        settable.Select(p => p.Name).Should().BeEquivalentTo(values.Keys, "every settable TLS option must be copied by SocketsHttpHandlerSettings.Copy (add new ones there and here)");
        foreach (var property in settable)
        {
            property.GetValue(source).Should().NotBe(values[property.Name], $"the test value of {property.Name} must differ from its default");
            property.SetValue(source, values[property.Name]);
        }

        var copy = SocketsHttpHandlerSettings.Copy(source);

        foreach (var property in settable.Where(p => p.Name != nameof(SslClientAuthenticationOptions.ApplicationProtocols)))
        {
            property.GetValue(copy).Should().Be(values[property.Name], property.Name);
        }

        copy.ApplicationProtocols.Should().Equal(SslApplicationProtocol.Http2).And.NotBeSameAs(source.ApplicationProtocols);
    }
}
