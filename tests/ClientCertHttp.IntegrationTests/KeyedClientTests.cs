using ClientCertHttp.Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.IntegrationTests;

/// <summary>
/// A keyed client (<c>AddAsKeyed()</c>) captured once by a singleton through <c>[FromKeyedServices]</c>: the captured
/// <see cref="HttpClient"/> is never rebuilt by the factory, and still presents the renewed certificate after a reload.
/// </summary>
[Collection(IntegrationGroup.Name)]
public sealed class KeyedClientTests(IntegrationFixture fixture)
{
    private const string Client = "keyed";

    [Fact]
    public async Task AddAsKeyed_SingletonCapturedTheClient_PresentsTheRotatedCertificateAfterTheReload()
    {
        await using var server = await fixture.StartServerAsync();
        var pfx = new RenewedPfxFile(fixture.Ca, fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx"), IntegrationFixture.Password);
        var first = pfx.IssueAndWrite("CN=keyed-1");
        using var host = await IntegrationFixture.StartHostAsync(services =>
        {
            services.AddClientCertHttpClient(Client, o =>
            {
                fixture.Configure(o, server);
                o.Certificate.Path = pfx.Path;
            }).AddAsKeyed(ServiceLifetime.Singleton);
            services.AddSingleton<WhoAmIService>();
        });
        var service = host.Services.GetRequiredService<WhoAmIService>();
        (await service.WhoAmIAsync()).Thumbprint.Should().Be(first);

        var second = pfx.IssueAndWrite("CN=keyed-2", replace: true);
        var reload = await host.Services.GetRequiredService<IClientCertificateReloader>().ReloadAsync(Client);

        reload.Succeeded.Should().BeTrue(reload.Error);
        reload.CurrentThumbprint.Should().Be(second);
        host.Services.GetRequiredService<WhoAmIService>().Should().BeSameAs(service, "the singleton keeps the client it captured");
        var report = await service.WhoAmIAsync();
        report.Thumbprint.Should().Be(second);
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(fixture.Ca.Intermediate.Thumbprint);
    }

    /// <summary>A singleton of the application that takes the keyed client once, in its constructor.</summary>
    private sealed class WhoAmIService([FromKeyedServices(Client)] HttpClient client)
    {
        public async Task<MtlsRequestReport> WhoAmIAsync()
        {
            using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
            return await MtlsTestServer.ReadReportAsync(response);
        }
    }
}
