using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ClientCertHttp.Tests.Diagnostics;

/// <summary>
/// No secret reaches a message or a log (issue 14, item 14): user information in a request URI, and values under the
/// secret keys when they have the wrong shape.
/// </summary>
public sealed class SecretsInMessagesTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Fact]
    public async Task FailedRequest_UriWithUserInformation_IsLoggedWithoutIt()
    {
        const string Secret = "uri-pa55-4e1b";
        var path = fixture.WriteClientPfx();
        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddLogging(b => b.AddFakeLogging());
            services.AddClientCertHttpClient("payments", o =>
            {
                o.Certificate.Path = path;
                o.Certificate.Password = ClientCertFixture.Password;
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
            });
        });
        await host.StartAsync();
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var act = () => client.GetAsync(new Uri($"https://user:{Secret}@127.0.0.1:{ClosedPort()}/orders?token={Secret}"));

        var thrown = (await act.Should().ThrowAsync<HttpRequestException>()).Which;
        thrown.ToString().Should().NotContain(Secret);
        var logs = host.Services.GetFakeLogCollector().GetSnapshot();
        logs.Should().Contain(r => r.Id.Name == "RequestGaveUp" && r.Message.Contains("https://127.0.0.1:", StringComparison.Ordinal) && r.Message.Contains("/orders", StringComparison.Ordinal));
        logs.Should().NotContain(r => r.Message.Contains(Secret, StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public async Task SecretKeys_GivenAsObjectOrList_FailAtStartupNamingTheKeyButNotTheValue()
    {
        const string Password = "json-secret-77a1";
        const string Inline = "inline-secret-90c3";
        var path = fixture.WriteClientPfx();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["payments:Certificate:Path"] = path,
            ["payments:Certificate:Password:0"] = Password,
            ["payments:Certificate:Base64:value"] = Inline,
        }).Build();

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", configuration.GetSection("payments")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Failures.Should().Contain(f => f.Contains("'payments:Certificate:Password' takes a single value", StringComparison.Ordinal));
        ex.Failures.Should().Contain(f => f.Contains("'payments:Certificate:Base64' takes a single value", StringComparison.Ordinal));
        ex.ToString().Should().NotContain(Password).And.NotContain(Inline);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
