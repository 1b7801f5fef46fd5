using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;

namespace ClientCertHttp.Tests.Resilience;

public sealed class RetryOptionsTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Password = ClientCertFixture.Password;

    [Fact]
    public void ClientCertHttpRetryOptions_Defaults_AreTheDocumentedOnes()
    {
        var options = new ClientCertHttpOptions().Retry;

        options.Enabled.Should().BeTrue();
        options.MaxRetryAttempts.Should().Be(3);
        options.Delay.Should().Be(TimeSpan.FromMilliseconds(200));
        options.BackoffType.Should().Be(DelayBackoffType.Exponential);
        options.UseJitter.Should().BeTrue();
        options.MaxDelay.Should().Be(TimeSpan.FromSeconds(5));
        options.AttemptTimeout.Should().Be(TimeSpan.FromSeconds(10));
        options.TotalTimeout.Should().Be(TimeSpan.FromSeconds(30));
        options.RetryNonIdempotentMethods.Should().BeFalse();
        options.ReloadAndRetryOnCertificateRejection.Should().BeTrue();
        options.TreatForbiddenAsCertificateRejection.Should().BeFalse();
    }

    [Fact]
    public async Task AddClientCertHttpClient_RetrySection_BindsEveryKeyIncludingTimeSpansAndEnums()
    {
        var configuration = Section("""
            "Retry": { "Enabled": true, "MaxRetryAttempts": 5, "Delay": "00:00:00.050", "BackoffType": "Linear",
                       "UseJitter": false, "MaxDelay": "00:00:02", "AttemptTimeout": "00:00:04", "TotalTimeout": "00:00:20",
                       "RetryNonIdempotentMethods": true, "ReloadAndRetryOnCertificateRejection": false,
                       "TreatForbiddenAsCertificateRejection": true }
            """);

        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient("payments", configuration));
        await host.StartAsync();

        var retry = host.Services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>().Get("payments").Retry;
        retry.MaxRetryAttempts.Should().Be(5);
        retry.Delay.Should().Be(TimeSpan.FromMilliseconds(50));
        retry.BackoffType.Should().Be(DelayBackoffType.Linear);
        retry.UseJitter.Should().BeFalse();
        retry.MaxDelay.Should().Be(TimeSpan.FromSeconds(2));
        retry.AttemptTimeout.Should().Be(TimeSpan.FromSeconds(4));
        retry.TotalTimeout.Should().Be(TimeSpan.FromSeconds(20));
        retry.RetryNonIdempotentMethods.Should().BeTrue();
        retry.ReloadAndRetryOnCertificateRejection.Should().BeFalse();
        retry.TreatForbiddenAsCertificateRejection.Should().BeTrue();
        await host.StopAsync();
    }

    [Fact]
    public async Task AddClientCertHttpClient_MisspelledRetryKey_FailsAtStartupWithSuggestion()
    {
        var configuration = Section("""
            "Retry": { "MaxRetryAttemps": 5 }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", configuration));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("'payments:Retry:MaxRetryAttemps'").And.Contain("did you mean 'MaxRetryAttempts'?");
    }

    [Fact]
    public async Task AddClientCertHttpClient_RetryValueOfWrongShape_FailsAtStartupNamingTheKey()
    {
        var configuration = Section("""
            "Retry": { "Delay": "soon" }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", configuration));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("payments:Retry:Delay");
    }

    [Fact]
    public async Task AddClientCertHttpClient_OutOfRangeRetryValues_ReportsEveryProblemWithItsKey()
    {
        var configuration = Section("""
            "Retry": { "MaxRetryAttempts": 0, "Delay": "00:00:01", "MaxDelay": "00:00:00.500",
                       "AttemptTimeout": "00:00:20", "TotalTimeout": "00:00:05" }
            """);

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", configuration));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Failures.Should().HaveCount(3);
        ex.Failures.Should().Contain(f => f.Contains("payments:Retry:MaxRetryAttempts is 0", StringComparison.Ordinal));
        ex.Failures.Should().Contain(f => f.Contains("payments:Retry:MaxDelay is 00:00:00.5000000", StringComparison.Ordinal));
        ex.Failures.Should().Contain(f => f.Contains("payments:Retry:TotalTimeout (00:00:05) is shorter than payments:Retry:AttemptTimeout (00:00:20)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddClientCertHttpClient_AttemptTimeoutBelowPollysMinimum_FailsAtStartup()
    {
        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            o.Certificate.Path = fixture.WriteClientPfx();
            o.Certificate.Password = Password;
            o.Retry.AttemptTimeout = TimeSpan.FromMilliseconds(1);
        }));

        ex.Message.Should().Contain("Retry:AttemptTimeout is 00:00:00.0010000; it must be between 00:00:00.010 and 1.00:00:00");
    }

    private IConfigurationSection Section(string retryJson)
    {
        var pfx = System.Text.Json.JsonSerializer.Serialize(fixture.WriteClientPfx());
        var json = $$"""{ "payments": { "Certificate": { "Path": {{pfx}}, "Password": "{{Password}}" }, {{retryJson}} } }""";
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build().GetSection("payments");
    }
}
