using ClientCertHttp.Testing;
using Microsoft.Extensions.DependencyInjection;
using Refit;

namespace ClientCertHttp.IntegrationTests;

/// <summary>
/// A Refit client with <c>AddClientCertificate(...)</c> against the real Kestrel mTLS server. Refit 16.4 builds
/// requests from generated code: <c>AddRefitClient&lt;T&gt;()</c> needs the separate Refit.Reflection package (it throws
/// <see cref="NotSupportedException"/> without it), so the test registers the generated client,
/// <c>AddRefitGeneratedClient&lt;T&gt;()</c>, which returns the same <see cref="IHttpClientBuilder"/>.
/// </summary>
[Collection(IntegrationGroup.Name)]
public sealed class RefitClientTests(IntegrationFixture fixture)
{
    [Fact]
    public async Task AddRefitGeneratedClient_WithClientCertificate_ServerSeesTheCertificateAndItsChain()
    {
        await using var server = await fixture.StartServerAsync();
        using var host = await IntegrationFixture.StartHostAsync(services => services
            .AddRefitGeneratedClient<IWhoAmIApi>(RefitJsonContext.Default)
            .AddClientCertificate(o => fixture.Configure(o, server)));

        using var response = await host.Services.GetRequiredService<IWhoAmIApi>().WhoAmIAsync();
        var report = await MtlsTestServer.ReadReportAsync(response);

        report.Subject.Should().Be(IntegrationFixture.ClientSubject);
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(fixture.Ca.Intermediate.Thumbprint);
    }
}

/// <summary>The test server's report endpoint, as a Refit interface; the base address comes from the client's options.</summary>
public interface IWhoAmIApi
{
    [Get("/whoami")]
    Task<HttpResponseMessage> WhoAmIAsync();
}

/// <summary>The serializer metadata Refit's generated clients take; the API above reads no JSON body through Refit.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class RefitJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
