using System.Net.Security;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Tests.DependencyInjection;

public sealed class RegistrationTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Password = ClientCertFixture.Password;

    [Fact]
    public void AddClientCertHttpClient_NullArguments_Throw()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().Build();

        FluentActions.Invoking(() => ClientCertHttpServiceCollectionExtensions.AddClientCertHttpClient(null!, "x", _ => { }))
            .Should().Throw<ArgumentNullException>().WithParameterName("services");
        FluentActions.Invoking(() => services.AddClientCertHttpClient(null!, _ => { }))
            .Should().Throw<ArgumentNullException>().WithParameterName("name");
        FluentActions.Invoking(() => services.AddClientCertHttpClient(string.Empty, _ => { }))
            .Should().Throw<ArgumentException>().WithParameterName("name");
        FluentActions.Invoking(() => services.AddClientCertHttpClient("x", (Action<ClientCertHttpOptions>)null!))
            .Should().Throw<ArgumentNullException>().WithParameterName("configure");
        FluentActions.Invoking(() => services.AddClientCertHttpClient("x", (IConfiguration)null!))
            .Should().Throw<ArgumentNullException>().WithParameterName("configuration");
        FluentActions.Invoking(() => services.AddClientCertHttpClient<TypedClient>((Action<ClientCertHttpOptions>)null!))
            .Should().Throw<ArgumentNullException>().WithParameterName("configure");
        FluentActions.Invoking(() => ClientCertHttpClientBuilderExtensions.AddClientCertificate(null!, _ => { }))
            .Should().Throw<ArgumentNullException>().WithParameterName("builder");
        FluentActions.Invoking(() => services.AddHttpClient("y").AddClientCertificate((IConfiguration)null!))
            .Should().Throw<ArgumentNullException>().WithParameterName("configuration");
    }

    [Fact]
    public void AddClientCertHttpClient_Typed_UsesTheTypeNameLikeAddHttpClient()
    {
        var services = new ServiceCollection();

        services.AddClientCertHttpClient<TypedClient>(_ => { }).Name.Should().Be(nameof(TypedClient));
        services.AddClientCertHttpClient<ITypedClient, TypedClient>(_ => { }).Name.Should().Be(nameof(ITypedClient));
        services.AddClientCertHttpClient("named", _ => { }).Name.Should().Be("named");
    }

    [Fact]
    public void AddClientCertificate_CalledTwice_RegistersServicesOnce()
    {
        var services = new ServiceCollection();

        services.AddClientCertHttpClient("a", _ => { }).AddClientCertificate(_ => { });
        services.AddClientCertHttpClient("b", _ => { });

        services.Count(d => d.ServiceType == typeof(IValidateOptions<ClientCertHttp.DependencyInjection.ClientCertHttpStartup>)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(ClientCertHttp.Certificates.ClientCertificateSource)).Should().Be(2, "one certificate source per client");
        services.Count(d => d.ServiceType == typeof(IHttpMessageHandlerBuilderFilter) && d.ImplementationType?.Assembly == typeof(ClientCertHttpOptions).Assembly)
            .Should().Be(1);
    }

    [Fact]
    public async Task AddClientCertHttpClient_EachHandlerBuild_IsAFreshSocketsHttpHandlerSharingOneCertificateContext()
    {
        var pfx = fixture.WriteClientPfx();
        using var host = ClientCertFixture.BuildHost(services => services
            .AddClientCertHttpClient("payments", o =>
            {
                o.Certificate.Path = pfx;
                o.Certificate.Password = Password;
            })
            .SetHandlerLifetime(TimeSpan.FromSeconds(1)));
        await host.StartAsync();
        var factory = host.Services.GetRequiredService<IHttpMessageHandlerFactory>();

        var first = ClientCertFixture.PrimaryHandler(factory.CreateHandler("payments"));
        var second = first;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (ReferenceEquals(first, second))
        {
            // The factory replaces the pipeline once the handler lifetime has passed.
            await Task.Delay(200, timeout.Token);
            second = ClientCertFixture.PrimaryHandler(factory.CreateHandler("payments"));
        }

        second.Should().NotBeSameAs(first);
        first.SslOptions.ClientCertificateContext.Should().NotBeNull();
        second.SslOptions.ClientCertificateContext.Should().BeSameAs(first.SslOptions.ClientCertificateContext);
        first.SslOptions.ClientCertificateContext!.TargetCertificate.Subject.Should().Be("CN=unit-client");
        first.SslOptions.ClientCertificateContext.IntermediateCertificates.Should().ContainSingle()
            .Which.Subject.Should().Be(fixture.Ca.Intermediate.Subject);
        (first.SslOptions.ClientCertificates?.Count ?? 0).Should().Be(0);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddClientCertificate_OnUserSocketsHttpHandler_KeepsUserSettingsAndAddsTheCertificate()
    {
        var pfx = fixture.WriteClientPfx();
        using var host = ClientCertFixture.BuildHost(services => services
            .AddHttpClient("existing")
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .AddClientCertificate(o =>
            {
                o.Certificate.Path = pfx;
                o.Certificate.Password = Password;
            }));
        await host.StartAsync();

        var primary = ClientCertFixture.PrimaryHandler(host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("existing"));

        primary.PooledConnectionLifetime.Should().Be(TimeSpan.FromMinutes(5));
        primary.SslOptions.ClientCertificateContext.Should().NotBeNull();
        await host.StopAsync();
    }

    [Fact]
    public async Task AddClientCertHttpClient_CustomRoots_SetsACustomRootChainPolicyPerHandler()
    {
        var pfx = fixture.WriteClientPfx();
        var roots = fixture.Ca.WriteRootPem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pem"));
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient("payments", o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.Password = Password;
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = roots;
        }));
        await host.StartAsync();

        var primary = ClientCertFixture.PrimaryHandler(host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("payments"));

        var policy = primary.SslOptions.CertificateChainPolicy;
        policy.Should().NotBeNull();
        policy!.TrustMode.Should().Be(System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust);
        policy.CustomTrustStore.Should().ContainSingle().Which.Thumbprint.Should().Be(fixture.Ca.Root.Thumbprint);
        primary.SslOptions.RemoteCertificateValidationCallback.Should().NotBeNull("the library's callback adds its checks to SslStream's chain and host name verdict");
        await host.StopAsync();
    }

    [Fact]
    public async Task AddClientCertHttpClient_SystemTrust_UsesTheSystemStoreWithABoundedRevocationPolicy()
    {
        var pfx = fixture.WriteClientPfx();
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient("payments", o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.Password = Password;
        }));
        await host.StartAsync();

        var primary = ClientCertFixture.PrimaryHandler(host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("payments"));

        var policy = primary.SslOptions.CertificateChainPolicy;
        policy.Should().NotBeNull();
        policy!.TrustMode.Should().Be(System.Security.Cryptography.X509Certificates.X509ChainTrustMode.System);
        policy.CustomTrustStore.Should().BeEmpty();
        policy.RevocationMode.Should().Be(System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck);
        policy.UrlRetrievalTimeout.Should().Be(TimeSpan.FromSeconds(5));
        primary.SslOptions.RemoteCertificateValidationCallback.Should().NotBeNull();
        await host.StopAsync();
    }

    [Fact]
    public async Task AddClientCertHttpClient_CertificateLoaded_LogsSubjectThumbprintAndChainButNeverThePassword()
    {
        var pfx = fixture.WriteClientPfx();
        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddLogging(b => b.AddFakeLogging().SetMinimumLevel(LogLevel.Trace));
            services.AddClientCertHttpClient("payments", o =>
            {
                o.Certificate.Path = pfx;
                o.Certificate.Password = Password;
            });
        });
        await host.StartAsync();

        var collector = host.Services.GetFakeLogCollector();
        var loaded = collector.GetSnapshot().Should().ContainSingle(r => r.Id.Name == "ClientCertificateLoaded").Subject;
        loaded.Category.Should().Be("ClientCertHttp");
        loaded.Level.Should().Be(LogLevel.Information);
        loaded.Message.Should().Contain("'payments'").And.Contain("CN=unit-client").And.Contain(pfx)
            .And.Contain("2 certificate(s)").And.Contain(fixture.Ca.Intermediate.Subject);
        collector.GetSnapshot().Should().NotContain(r => r.Message.Contains(Password, StringComparison.Ordinal)
            || r.StructuredState!.Any(kv => kv.Value != null && kv.Value.Contains(Password, StringComparison.Ordinal)));
        await host.StopAsync();
    }

    public interface ITypedClient;

    public sealed class TypedClient(HttpClient client) : ITypedClient
    {
        public HttpClient Client { get; } = client;
    }
}
