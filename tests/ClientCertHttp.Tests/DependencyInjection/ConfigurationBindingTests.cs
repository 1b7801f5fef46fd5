using ClientCertHttp.Trust;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Tests.DependencyInjection;

public sealed class ConfigurationBindingTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Password = ClientCertFixture.Password;

    [Fact]
    public async Task AddClientCertHttpClient_JsonSection_BindsEverySetting()
    {
        var pfx = fixture.WriteClientPfx();
        var roots = fixture.Ca.WriteRootPem(fixture.Temp.Combine("roots-" + Guid.NewGuid().ToString("N") + ".pem"));
        var configuration = LoadJson($$"""
            {
              "ClientCertHttp": { "Clients": { "payments": {
                "BaseAddress": "https://127.0.0.1:4443/api/",
                "Certificate": { "Path": {{Json(pfx)}}, "Password": "{{Password}}" },
                "ServerTrust": { "Mode": "CustomRoots", "RootCertificatesPath": {{Json(roots)}} }
              } } }
            }
            """);

        using var host = ClientCertFixture.BuildHost(services =>
            services.AddClientCertHttpClient("payments", configuration.GetSection("ClientCertHttp:Clients:payments")));
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>().Get("payments");
        options.BaseAddress.Should().Be(new Uri("https://127.0.0.1:4443/api/"));
        options.Certificate.Path.Should().Be(pfx);
        options.Certificate.Password.Should().Be(Password);
        options.ServerTrust.Mode.Should().Be(ServerTrustMode.CustomRoots);
        options.ServerTrust.RootCertificatesPath.Should().Be(roots);

        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");
        client.BaseAddress.Should().Be(new Uri("https://127.0.0.1:4443/api/"));
        await host.StopAsync();
    }

    [Fact]
    public async Task AddClientCertHttpClient_MisspelledKey_FailsAtStartupWithFullPathAndSuggestion()
    {
        var pfx = fixture.WriteClientPfx();
        var configuration = LoadJson($$"""
            { "ClientCertHttp": { "Clients": { "payments": {
                "Certificate": { "Path": {{Json(pfx)}}, "Pasword": "{{Password}}" }
            } } } }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", configuration.GetSection("ClientCertHttp:Clients:payments")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should()
            .Contain("'ClientCertHttp:Clients:payments:Certificate:Pasword'")
            .And.Contain("did you mean 'Password'?")
            .And.NotContain(Password);

        // The misspelled password also leaves the file without its password: both problems are reported at once.
        ex.Failures.Should().Contain(f => f.Contains("ClientCertHttp:Clients:payments:Certificate:Password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddClientCertHttpClient_UnknownTopLevelKey_FailsAtStartup()
    {
        var pfx = fixture.WriteClientPfx();
        var configuration = LoadJson($$"""
            { "payments": { "Certificate": { "Path": {{Json(pfx)}}, "Password": "{{Password}}" }, "RetryCount": 3 } }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", configuration.GetSection("payments")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("'payments:RetryCount'").And.Contain("Known keys here: BaseAddress, Certificate");
    }

    [Fact]
    public async Task AddClientCertHttpClient_ValueOfWrongShape_FailsAtStartupNamingTheKey()
    {
        var pfx = fixture.WriteClientPfx();
        var configuration = LoadJson($$"""
            { "payments": { "Certificate": { "Path": {{Json(pfx)}}, "Password": "{{Password}}" }, "ServerTrust": { "Mode": "Everything" } } }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", configuration.GetSection("payments")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("payments:ServerTrust:Mode").And.NotContain(Password);
    }

    [Fact]
    public async Task AddClientCertHttpClient_MissingSection_FailsNamingTheConfigurationKey()
    {
        var configuration = LoadJson("""{ "Other": 1 }""");

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", configuration.GetSection("ClientCertHttp:Clients:payments")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.NoCertificateConfigured);
        ex.Message.Should().Contain("ClientCertHttp:Clients:payments:Certificate:Path");
    }

    [Fact]
    public async Task AddClientCertHttpClient_SectionAndCode_CodeRunsAfterBinding()
    {
        var pfx = fixture.WriteClientPfx();
        var configuration = LoadJson($$"""{ "payments": { "Certificate": { "Path": {{Json(pfx)}} } } }""");

        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient(
            "payments",
            configuration.GetSection("payments"),
            o => o.Certificate.Password = Password));

        await host.StartAsync();
        host.Services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>().Get("payments").Certificate.Password.Should().Be(Password);
        await host.StopAsync();
    }

    private IConfiguration LoadJson(string json)
    {
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build();
    }

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
