using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Tests.DependencyInjection;

public sealed class WarmupOptionsTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Password = ClientCertFixture.Password;

    [Fact]
    public void ClientCertHttpWarmupOptions_Defaults_AreOff()
    {
        var options = new ClientCertHttpOptions().Warmup;

        options.Connections.Should().Be(0);
        options.Timeout.Should().Be(TimeSpan.FromSeconds(10));
        options.HttpVersion.Should().BeNull("the client's own default request version applies");
    }

    [Fact]
    public void AddClientCertHttpClient_WarmupHttpVersion_BindsFromConfiguration()
    {
        var configuration = Section("""
            "BaseAddress": "https://127.0.0.1:1/", "Warmup": { "Connections": 1, "HttpVersion": "2.0" }
            """);
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient("payments", configuration));

        host.Services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>().Get("payments").Warmup.HttpVersion
            .Should().Be(System.Net.HttpVersion.Version20);
    }

    [Fact]
    public async Task AddClientCertHttpClient_WarmupHttpVersionThree_FailsAtStartupNamingTheKey()
    {
        var configuration = Section("""
            "BaseAddress": "https://127.0.0.1:1/", "Warmup": { "Connections": 1, "HttpVersion": "3.0" }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", configuration));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Failures.Should().ContainSingle().Which.Should().Contain("payments:Warmup:HttpVersion is 3.0; it must be 1.1 or 2.0");
    }

    [Fact]
    public void AddClientCertHttpClient_WarmupSection_BindsConnectionsAndTimeout()
    {
        var configuration = Section("""
            "BaseAddress": "https://127.0.0.1:1/", "Warmup": { "Connections": 4, "Timeout": "00:00:02" }
            """);
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient("payments", configuration));

        var warmup = host.Services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>().Get("payments").Warmup;

        warmup.Connections.Should().Be(4);
        warmup.Timeout.Should().Be(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task AddClientCertHttpClient_OutOfRangeWarmupValues_ReportsEveryProblemWithItsKey()
    {
        var configuration = Section("""
            "BaseAddress": "https://127.0.0.1:1/", "Warmup": { "Connections": -1, "Timeout": "00:00:00.010" }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", configuration));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Failures.Should().HaveCount(2);
        ex.Failures.Should().Contain(f => f.Contains("payments:Warmup:Connections is -1; it must be between 0 (no warm-up) and 100", StringComparison.Ordinal));
        ex.Failures.Should().Contain(f => f.Contains("payments:Warmup:Timeout is 00:00:00.0100000; it must be between 00:00:00.100 and 00:05:00", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddClientCertHttpClient_WarmupWithoutBaseAddress_FailsAtStartupNamingBothKeys()
    {
        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            o.Certificate.Path = fixture.WriteClientPfx();
            o.Certificate.Password = Password;
            o.Warmup.Connections = 2;
        }));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("Warmup:Connections is 2 but BaseAddress is not set");
    }

    [Fact]
    public async Task AddClientCertHttpClient_MisspelledWarmupKey_FailsAtStartupWithSuggestion()
    {
        var configuration = Section("""
            "Warmup": { "Conections": 2 }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", configuration));

        ex.Message.Should().Contain("'payments:Warmup:Conections'").And.Contain("did you mean 'Connections'?");
    }

    [Fact]
    public void AddClientCertHttpClient_TwoClients_RegistersOneWarmupHostedService()
    {
        var services = new ServiceCollection();
        services.AddClientCertHttpClient("a", o => o.Certificate.Path = "a.pfx");
        services.AddClientCertHttpClient("b", o => o.Certificate.Path = "b.pfx");

        services.Count(d => d.ServiceType == typeof(IHostedService)).Should().Be(1);
    }

    private IConfigurationSection Section(string json)
    {
        var pfx = System.Text.Json.JsonSerializer.Serialize(fixture.WriteClientPfx());
        var text = $$"""{ "payments": { "Certificate": { "Path": {{pfx}}, "Password": "{{Password}}" }, {{json}} } }""";
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, text);
        return new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build().GetSection("payments");
    }
}
