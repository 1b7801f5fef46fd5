using System.Net;
using System.Security.Authentication;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.FunctionalTests;

[Collection(MtlsServerGroup.Name)]
public sealed class ClientCertificateTests(MtlsFixture fixture)
{
    public static TheoryData<string> HttpVersions => ["1.1", "2.0"];

    [Theory]
    [MemberData(nameof(HttpVersions))]
    public async Task NamedClient_ReachesServer_WhichSeesLeafAndIntermediate(string version)
    {
        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", fixture.Configure));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var report = await GetReportAsync(client, Version.Parse(version));

        AssertFullChain(report);
        report.HttpProtocol.Should().Be(version == "2.0" ? "HTTP/2" : "HTTP/1.1");
        await host.StopAsync();
    }

    [Fact]
    public async Task TypedClient_ReachesServer_WhichSeesLeafAndIntermediate()
    {
        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient<WhoAmIClient>(fixture.Configure));

        var report = await host.Services.GetRequiredService<WhoAmIClient>().WhoAmIAsync();

        AssertFullChain(report);
        await host.StopAsync();
    }

    [Fact]
    public async Task TypedClientWithInterface_ReachesServer_WhichSeesLeafAndIntermediate()
    {
        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient<IWhoAmIClient, WhoAmIClient>(fixture.Configure));

        var report = await host.Services.GetRequiredService<IWhoAmIClient>().WhoAmIAsync();

        AssertFullChain(report);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddClientCertificate_OnExistingAddHttpClient_ReachesServer()
    {
        using var host = await MtlsFixture.StartHostAsync(services => services
            .AddHttpClient("existing", c => c.DefaultRequestHeaders.Add("X-Test", "1"))
            .AddClientCertificate(fixture.Configure));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("existing");

        AssertFullChain(await GetReportAsync(client, HttpVersion.Version11));
        await host.StopAsync();
    }

    [Fact]
    public async Task ConfigurationBoundClient_ReachesServer()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClientCertHttp:Clients:payments:BaseAddress"] = fixture.Server.BaseAddress.ToString(),
            ["ClientCertHttp:Clients:payments:Certificate:Path"] = fixture.ClientPfxPath,
            ["ClientCertHttp:Clients:payments:Certificate:Password"] = MtlsFixture.Password,
            ["ClientCertHttp:Clients:payments:ServerTrust:Mode"] = "CustomRoots",
            ["ClientCertHttp:Clients:payments:ServerTrust:RootCertificatesPath"] = fixture.RootPemPath,
        }).Build();
        using var host = await MtlsFixture.StartHostAsync(services =>
            services.AddClientCertHttpClient("payments", configuration.GetSection("ClientCertHttp:Clients:payments")));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        AssertFullChain(await GetReportAsync(client, HttpVersion.Version20));
        await host.StopAsync();
    }

    [Fact]
    public async Task UserSocketsHttpHandlerSettings_AreKeptAndTheCertificateIsStillSent()
    {
        using var host = await MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient("payments", fixture.Configure)
            .UseSocketsHttpHandler((handler, _) => handler.MaxConnectionsPerServer = 1));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        AssertFullChain(await GetReportAsync(client, HttpVersion.Version11));
        await host.StopAsync();
    }

    [Fact]
    public async Task LeafOnlyPfx_IsRejectedByAServerThatTrustsOnlyTheRoot()
    {
        // The negative control: proves the test server really needs the intermediate that the library sends.
        using var leaf = fixture.Ca.IssueClientCertificate("CN=leaf-only");
        var path = fixture.Ca.WritePfx(fixture.Temp.Combine("leaf-only.pfx"), leaf, MtlsFixture.Password, includeIntermediate: false);
        var failedBefore = fixture.Server.FailedHandshakeCount;
        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.Certificate.Path = path;
        }));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var act = () => client.GetAsync(new Uri("whoami", UriKind.Relative));

        // With retries on by default, still one attempt: a rejected certificate is not retried.
        var ex = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which;
        ex.Reason.Should().Be(ClientCertificateFailureReason.ClientCertificateRejectedByServer);
        ex.Attempts.Should().Be(1);
        ex.Message.Should().Contain("CN=leaf-only");
        fixture.Server.FailedHandshakeCount.Should().BeGreaterThan(failedBefore);
        await host.StopAsync();
    }

    [Fact]
    public async Task PfxWithRoot_SendsLeafAndIntermediateOnly()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=with-root");
        var path = fixture.Ca.WritePfx(fixture.Temp.Combine("with-root.pfx"), leaf, MtlsFixture.Password, includeRoot: true);

        var report = await GetReportWithPfxAsync(path);

        report.Subject.Should().Be("CN=with-root");
        report.SentChain.Select(c => c.Subject).Should().Equal(fixture.Ca.Intermediate.Subject);
    }

    [Fact]
    public async Task RsaClientCertificate_ReachesServer()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=rsa-client", o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa);
        var path = fixture.Ca.WritePfx(fixture.Temp.Combine("rsa.pfx"), leaf, MtlsFixture.Password);

        var report = await GetReportWithPfxAsync(path);

        report.Subject.Should().Be("CN=rsa-client");
        report.SentChain.Select(c => c.Subject).Should().Equal(fixture.Ca.Intermediate.Subject);
    }

    [Fact]
    public async Task Thumbprint_PicksThatCertificateAmongSeveral()
    {
        using var first = fixture.Ca.IssueClientCertificate("CN=first");
        using var second = fixture.Ca.IssueClientCertificate("CN=second");
        using var intermediate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(fixture.Ca.Intermediate.RawData);
        var path = fixture.Temp.Combine("two.pfx");
        await File.WriteAllBytesAsync(path, new System.Security.Cryptography.X509Certificates.X509Certificate2Collection { intermediate, first, second }
            .Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, MtlsFixture.Password)!);
        var report = await GetReportWithPfxAsync(path, o => o.Certificate.Thumbprint = second.Thumbprint);

        report.Thumbprint.Should().Be(second.Thumbprint);
        report.SentChain.Select(c => c.Subject).Should().Equal(fixture.Ca.Intermediate.Subject);
    }

    [Fact]
    public async Task SystemTrust_RejectsAPrivateCaServer()
    {
        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.ServerTrust.Mode = ServerTrustMode.System;
            o.ServerTrust.RootCertificatesPath = null;
        }));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var act = () => client.GetAsync(new Uri("whoami", UriKind.Relative));

        var thrown = await act.Should().ThrowAsync<HttpRequestException>();
        thrown.Which.Should().BeOfType<ClientCertHttpRequestException>().Which.Attempts.Should().Be(1, "a trust failure is not retried");
        var rejection = thrown.WithInnerException<ServerCertificateValidationException>().Which;
        rejection.Should().BeAssignableTo<AuthenticationException>();
        rejection.Reason.Should().BeOneOf(ServerCertificateFailureReason.PartialChain, ServerCertificateFailureReason.UntrustedRoot);
    }

    [Fact]
    public async Task CustomRoots_StillValidateTheHostName()
    {
        using var wrongName = fixture.IssueWrongNameServerCertificate();
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.ServerCertificate = wrongName);

        var rejection = await GetAuthenticationRejectionAsync(server);

        rejection.Reason.Should().Be(ServerCertificateFailureReason.NameMismatch);
        server.Reports.Should().BeEmpty();
    }

    [Fact]
    public async Task CustomRoots_RejectAServerFromAnotherCa()
    {
        using var otherCa = TestCertificateAuthority.Create("Other");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);

        var rejection = await GetAuthenticationRejectionAsync(server);

        rejection.Reason.Should().Be(ServerCertificateFailureReason.PartialChain, "the other CA's intermediate leads to a root the client does not know");
    }

    private async Task<ServerCertificateValidationException> GetAuthenticationRejectionAsync(MtlsTestServer server)
    {
        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.BaseAddress = server.BaseAddress;
        }));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var act = () => client.GetAsync(new Uri("whoami", UriKind.Relative));

        var rejection = (await act.Should().ThrowAsync<HttpRequestException>()).WithInnerException<ServerCertificateValidationException>().Which;
        rejection.Should().BeAssignableTo<AuthenticationException>();
        return rejection;
    }

    private void AssertFullChain(MtlsRequestReport report)
    {
        report.Thumbprint.Should().Be(fixture.ClientThumbprint);
        report.Subject.Should().Be("CN=functional-client");
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(fixture.Ca.Intermediate.Thumbprint);
    }

    private async Task<MtlsRequestReport> GetReportWithPfxAsync(string pfxPath, Action<ClientCertHttpOptions>? configure = null)
    {
        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.Certificate.Path = pfxPath;
            configure?.Invoke(o);
        }));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");
        var report = await GetReportAsync(client, HttpVersion.Version11);
        await host.StopAsync();
        return report;
    }

    private static async Task<MtlsRequestReport> GetReportAsync(HttpClient client, Version version)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("whoami", UriKind.Relative))
        {
            Version = version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await client.SendAsync(request);
        return await MtlsTestServer.ReadReportAsync(response);
    }

    public interface IWhoAmIClient
    {
        Task<MtlsRequestReport> WhoAmIAsync();
    }

    public sealed class WhoAmIClient(HttpClient client) : IWhoAmIClient
    {
        public async Task<MtlsRequestReport> WhoAmIAsync()
        {
            using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
            return await MtlsTestServer.ReadReportAsync(response);
        }
    }
}
