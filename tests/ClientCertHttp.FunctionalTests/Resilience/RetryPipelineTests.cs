using System.Diagnostics;
using System.Net;
using System.Security.Authentication;
using ClientCertHttp.Resilience;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ClientCertHttp.FunctionalTests.Resilience;

/// <summary>
/// The default retry pipeline against real Kestrel servers that inject faults. Attempts are counted on the server
/// (requests that reached its handler, handshakes it rejected, connections it accepted).
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class RetryPipelineTests(MtlsFixture fixture)
{
    private static readonly Uri WhoAmI = new("whoami", UriKind.Relative);

    [Fact]
    public async Task Get_ConnectionResetTwiceThenServed_SucceedsOnTheThirdAttempt()
    {
        var calls = 0;
        await using var server = await StartServerAsync(context =>
        {
            if (Interlocked.Increment(ref calls) <= 2)
            {
                context.Abort();
                return Task.FromResult(true);
            }

            return Task.FromResult(false);
        });
        using var host = await StartClientAsync(server);

        using var response = await GetWhoAmIAsync(host);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        server.Reports.Should().HaveCount(3);
    }

    [Fact]
    public async Task Get_ServiceUnavailableWithRetryAfter_WaitsTheAnnouncedTimeOnTheFakeClock()
    {
        var calls = 0;
        await using var server = await StartServerAsync(async context =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "7";
                await context.Response.CompleteAsync();
                return true;
            }

            return false;
        });
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = await StartClientAsync(server, configure: o =>
        {
            // Far beyond anything the fake clock reaches while it is driven below.
            o.Retry.AttemptTimeout = TimeSpan.FromHours(1);
            o.Retry.TotalTimeout = TimeSpan.FromHours(2);
            o.Retry.MaxDelay = TimeSpan.FromSeconds(10);
        }, services: s => s.AddSingleton<TimeProvider>(clock));
        using var client = CreateClient(host);
        var fakeStart = clock.GetUtcNow();
        var realTime = Stopwatch.StartNew();

        var send = client.GetAsync(WhoAmI);
        while (!send.IsCompleted && realTime.Elapsed < TimeSpan.FromSeconds(30))
        {
            clock.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(10);
        }

        using var response = await send;
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        server.Reports.Should().HaveCount(2);
        (clock.GetUtcNow() - fakeStart).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(7), "the Retry-After delay runs on the pipeline's TimeProvider");
        realTime.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(6), "the 7 s Retry-After was waited on the fake clock, not in real time");
    }

    [Fact]
    public async Task Get_RetryAfterLongerThanMaxDelay_ReturnsTheResponseWithoutRetrying()
    {
        await using var server = await StartServerAsync(async context =>
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = "60";
            await context.Response.CompleteAsync();
            return true;
        });
        using var host = await StartClientAsync(server);
        using var response = await GetWhoAmIAsync(host);

        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        server.Reports.Should().ContainSingle();
        host.Services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == 30)
            .Which.Message.Should().Contain("Retry-After").And.Contain("Retry:MaxDelay");
    }

    [Fact]
    public async Task Get_TooManyRequestsTwice_IsRetriedUntilServed()
    {
        var calls = 0;
        await using var server = await StartServerAsync(context => Interlocked.Increment(ref calls) <= 2
            ? RespondAsync(context, StatusCodes.Status429TooManyRequests)
            : Task.FromResult(false));
        using var host = await StartClientAsync(server);

        using var response = await GetWhoAmIAsync(host);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        server.Reports.Should().HaveCount(3);
    }

    [Fact]
    public async Task Get_AlwaysInternalServerError_StopsAfterMaxRetryAttemptsAndLogsTheGiveUp()
    {
        await using var server = await StartServerAsync(context => RespondAsync(context, StatusCodes.Status500InternalServerError));
        using var host = await StartClientAsync(server, o => o.Retry.MaxRetryAttempts = 2);

        using var response = await GetWhoAmIAsync(host);

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        server.Reports.Should().HaveCount(3);
        var gaveUp = host.Services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Name == "RequestGaveUp").Subject;
        gaveUp.Id.Id.Should().Be(30);
        gaveUp.Level.Should().Be(LogLevel.Warning);
        gaveUp.Message.Should().Contain("after 3 attempt(s)").And.Contain("Transient").And.Contain("500");

        // Polly's own telemetry is on: one OnRetry event per retry, from the pipeline named after the client.
        host.Services.GetFakeLogCollector().GetSnapshot()
            .Where(r => r.Category == "Polly" && r.Message.Contains("OnRetry", StringComparison.Ordinal))
            .Should().HaveCount(2)
            .And.OnlyContain(r => r.Message.Contains("payments-ClientCertHttp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_RetriedRequest_IsCountedInPollysMetrics()
    {
        using var retries = new MetricCollector<int>(null, "Polly", "resilience.polly.strategy.events");
        var calls = 0;
        await using var server = await StartServerAsync(context => Interlocked.Increment(ref calls) == 1
            ? RespondAsync(context, StatusCodes.Status502BadGateway)
            : Task.FromResult(false));
        using var host = await StartClientAsync(server);
        using var response = await GetWhoAmIAsync(host);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        retries.GetMeasurementSnapshot()
            .Where(m => m.Tags.TryGetValue("pipeline.name", out var pipeline) && Equals(pipeline, "payments-ClientCertHttp")
                && m.Tags.TryGetValue("event.name", out var name) && Equals(name, "OnRetry"))
            .Should().ContainSingle();
    }

    [Fact]
    public async Task Get_SlowResponseBeyondAttemptTimeout_IsAbandonedAndRetried()
    {
        var calls = 0;
        await using var server = await StartServerAsync(async context =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up on this attempt.
                }

                return true;
            }

            return false;
        });
        using var host = await StartClientAsync(server, o => o.Retry.AttemptTimeout = TimeSpan.FromMilliseconds(300));
        var elapsed = Stopwatch.StartNew();

        using var response = await GetWhoAmIAsync(host);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        server.Reports.Should().HaveCount(2);
        elapsed.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(250)).And.BeLessThan(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Get_EveryAttemptTooSlow_FailsWithATimeoutAfterAllAttempts()
    {
        await using var server = await StartServerAsync(async context =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up on this attempt.
            }

            return true;
        });
        using var host = await StartClientAsync(server, o =>
        {
            o.Retry.MaxRetryAttempts = 2;

            // Long enough for each attempt's new connection and handshake to reach the server on a busy machine.
            o.Retry.AttemptTimeout = TimeSpan.FromSeconds(1);
        });

        using var client = CreateClient(host);
        var act = () => client.GetAsync(WhoAmI);

        await act.Should().ThrowAsync<Polly.Timeout.TimeoutRejectedException>();
        server.Reports.Should().HaveCount(3);
        host.Services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == 30)
            .Which.Message.Should().Contain("after 3 attempt(s)").And.Contain("resilience timeout of 00:00:01 elapsed");
    }

    [Fact]
    public async Task Get_EveryAttemptTooSlow_TotalTimeoutCountsFromTheFirstAttempt()
    {
        // The first attempt is sent past the pipeline (issue 18): the total timeout must still count from its start.
        // Fake clock: attempt 1 runs 0-10 s and times out, attempt 2 starts at 11 s and is cut by the total at 15 s.
        // Counted from the pipeline's entry instead (10 s), the total would end at 25 s, after a third attempt.
        var arrivals = 0;
        await using var server = await StartServerAsync(async context =>
        {
            Interlocked.Increment(ref arrivals);
            return await HoldUntilAbortedAsync(context);
        });
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = await StartClientAsync(server, configure: o =>
        {
            o.Retry.AttemptTimeout = TimeSpan.FromSeconds(10);
            o.Retry.TotalTimeout = TimeSpan.FromSeconds(15);
            o.Retry.Delay = TimeSpan.FromSeconds(1);
            o.Retry.BackoffType = Polly.DelayBackoffType.Constant;
        }, services: s => s.AddSingleton<TimeProvider>(clock));
        using var client = CreateClient(host);

        var send = client.GetAsync(WhoAmI);
        var realTime = Stopwatch.StartNew();
        while (!send.IsCompleted && realTime.Elapsed < TimeSpan.FromSeconds(60))
        {
            // The clock moves only while the latest attempt is at the server, or between attempts (the delay), so
            // no attempt times out before it arrives, however slow the machine.
            var elapsed = clock.GetUtcNow() - clock.Start;
            var expected = elapsed < TimeSpan.FromSeconds(10) ? 1 : elapsed >= TimeSpan.FromSeconds(11) ? 2 : 0;
            if (expected == 0 || Volatile.Read(ref arrivals) >= expected)
            {
                clock.Advance(TimeSpan.FromMilliseconds(100));
            }

            await Task.Delay(10);
        }

        var act = () => send;
        (await act.Should().ThrowAsync<Polly.Timeout.TimeoutRejectedException>()).Which.Timeout.Should().Be(TimeSpan.FromSeconds(15));
        Volatile.Read(ref arrivals).Should().Be(2);
    }

    [Fact]
    public async Task Get_CallerCancelsDuringTheFirstAttempt_GetsTheCancellationAndNothingIsRetried()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartServerAsync(async context =>
        {
            arrived.TrySetResult();
            return await HoldUntilAbortedAsync(context);
        });
        using var host = await StartClientAsync(server);
        using var client = CreateClient(host);
        using var cancellation = new CancellationTokenSource();

        var send = client.GetAsync(WhoAmI, cancellation.Token);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cancellation.CancelAsync();

        var act = () => send;
        await act.Should().ThrowAsync<OperationCanceledException>();
        server.Reports.Should().ContainSingle();
        host.Services.GetFakeLogCollector().GetSnapshot().Should().NotContain(r => r.Id.Id == 30, "a canceled request is not a failure to report");
    }

    [Fact]
    public async Task Post_ServiceUnavailable_IsNotRetriedByDefault()
    {
        await using var server = await StartServerAsync(context => RespondAsync(context, StatusCodes.Status503ServiceUnavailable));
        using var host = await StartClientAsync(server);
        using var content = new StringContent("{\"amount\":1}");

        using var client = CreateClient(host);
        using var response = await client.PostAsync(WhoAmI, content);

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        server.Reports.Should().ContainSingle();
        host.Services.GetFakeLogCollector().GetSnapshot().Should().Contain(r => r.Id.Id == 30 && r.Message.Contains("POST is not idempotent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_ServiceUnavailable_IsRetriedWhenNonIdempotentMethodsAreOptedIn()
    {
        var calls = 0;
        await using var server = await StartServerAsync(context => Interlocked.Increment(ref calls) == 1
            ? RespondAsync(context, StatusCodes.Status503ServiceUnavailable)
            : Task.FromResult(false));
        using var host = await StartClientAsync(server, o => o.Retry.RetryNonIdempotentMethods = true);
        using var content = new StringContent("{\"amount\":1}");

        using var client = CreateClient(host);
        using var response = await client.PostAsync(WhoAmI, content);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        server.Reports.Should().HaveCount(2);
    }

    [Fact]
    public async Task Put_WithNonReplayableStreamContent_IsNotRetried()
    {
        await using var server = await StartServerAsync(context => RespondAsync(context, StatusCodes.Status503ServiceUnavailable));
        using var host = await StartClientAsync(server);
        using var content = new StreamContent(new MemoryStream("payload"u8.ToArray()));

        using var client = CreateClient(host);
        using var response = await client.PutAsync(WhoAmI, content);

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        server.Reports.Should().ContainSingle();
    }

    [Fact]
    public async Task Get_RetryDisabled_MakesOneAttempt()
    {
        await using var server = await StartServerAsync(context => RespondAsync(context, StatusCodes.Status503ServiceUnavailable));
        using var host = await StartClientAsync(server, o => o.Retry.Enabled = false);

        using var response = await GetWhoAmIAsync(host);

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        server.Reports.Should().ContainSingle();
    }

    public static TheoryData<string> HttpVersions => ["1.1", "2.0"];

    [Theory]
    [MemberData(nameof(HttpVersions))]
    public async Task Get_ServerRejectsTheClientCertificate_FailsAfterOneAttemptNamingTheCertificate(string version)
    {
        using var otherCa = TestCertificateAuthority.Create("Untrusted Client Roots");
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.TrustedClientRoots = [otherCa.Root]);
        using var host = await StartClientAsync(server);
        using var request = new HttpRequestMessage(HttpMethod.Get, WhoAmI) { Version = Version.Parse(version), VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var client = CreateClient(host);
        var act = () => client.SendAsync(request);

        var ex = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which;
        ex.Reason.Should().Be(ClientCertificateFailureReason.ClientCertificateRejectedByServer);
        ex.Classification.Category.Should().Be(HttpFailureCategory.ClientCertificateRejected);
        ex.Attempts.Should().Be(1);
        ex.Message.Should().Contain("CN=functional-client").And.Contain(fixture.ClientThumbprint).And.Contain("certificate is unchanged")
            .And.NotContain("rotation is available", "rotation has been available since 0.1 (issue 14, item 4)");
        server.Reports.Should().BeEmpty();

        // One pipeline attempt: SocketsHttpHandler itself opens up to 4 connections for one HTTP/1.1 attempt that ends
        // before any response, and 1 for HTTP/2; a second pipeline attempt would double that. The diagnosis adds one
        // handshake that presents no certificate (the probe), counted apart.
        var rejections = server.HandshakeFailures.Where(f => f.Contains("CN=functional-client", StringComparison.Ordinal)).ToList();
        rejections.Should().HaveCountGreaterThanOrEqualTo(1).And.HaveCountLessThanOrEqualTo(version == "2.0" ? 1 : 4, string.Join(" | ", server.HandshakeFailures));
        // The server records the probe's handshake on its own thread, possibly after the client is done with it.
        for (var i = 0; i < 50 && !server.HandshakeFailures.Contains("no client certificate was sent"); i++)
        {
            await Task.Delay(100);
        }

        server.HandshakeFailures.Should().ContainSingle(f => f == "no client certificate was sent", "the diagnosis probes the server once: " + string.Join(" | ", server.HandshakeFailures));
        host.Services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == 31)
            .Which.Message.Should().Contain(fixture.ClientThumbprint);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_FactoryLoggersRemovedOrNot_ClientCertHttpStillLogsTheRejection(bool removeFactoryLoggers)
    {
        // The README suggests RemoveAllLoggers() to drop IHttpClientFactory's per-request logging handlers: that must
        // not take ClientCertHttp's own events with them.
        using var otherCa = TestCertificateAuthority.Create("Untrusted Client Roots");
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.TrustedClientRoots = [otherCa.Root]);
        using var host = await StartClientAsync(server, services: s =>
        {
            if (removeFactoryLoggers)
            {
                s.ConfigureHttpClientDefaults(http => http.RemoveAllLoggers());
            }
        });

        using var client = CreateClient(host);
        var act = () => client.GetAsync(WhoAmI);

        await act.Should().ThrowAsync<ClientCertHttpRequestException>();
        var records = host.Services.GetFakeLogCollector().GetSnapshot();
        records.Should().ContainSingle(r => r.Id.Id == 31).Which.Message.Should().Contain(fixture.ClientThumbprint);
        var factoryRecords = records.Where(r => r.Category?.StartsWith("System.Net.Http.HttpClient.payments", StringComparison.Ordinal) == true);
        if (removeFactoryLoggers)
        {
            factoryRecords.Should().BeEmpty();
        }
        else
        {
            factoryRecords.Should().NotBeEmpty();
        }
    }

    [Fact]
    public async Task Get_ServerCertificateFromAnotherCa_FailsAfterOneAttemptWithTypedReason()
    {
        using var otherCa = TestCertificateAuthority.Create("Other Server");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);
        using var host = await StartClientAsync(server);

        using var client = CreateClient(host);
        var act = () => client.GetAsync(WhoAmI);

        var ex = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which;
        ex.Reason.Should().Be(ClientCertificateFailureReason.ServerCertificateRejected);
        ex.Attempts.Should().Be(1);
        ex.InnerException.Should().BeOfType<ServerCertificateValidationException>().Which.Should().BeAssignableTo<AuthenticationException>();
        ex.Message.Should().Contain("ServerTrust:RootCertificatesPath");
        server.TotalConnectionCount.Should().Be(1);
    }

    [Fact]
    public async Task Get_NginxStyleMissingCertificate400_IsReportedAsARejectedCertificateAndNotRetried()
    {
        await using var server = await StartServerAsync(context => RespondAsync(
            context,
            StatusCodes.Status400BadRequest,
            "<html><head><title>400 No required SSL certificate was sent</title></head><body><center><h1>400 Bad Request</h1></center><center>No required SSL certificate was sent</center><hr><center>nginx</center></body></html>"));
        using var host = await StartClientAsync(server);

        using var response = await GetWhoAmIAsync(host);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("No required SSL certificate was sent", "the classifier buffers the body it reads");
        server.Reports.Should().ContainSingle();
        host.Services.GetFakeLogCollector().GetSnapshot().Should().Contain(r => r.Id.Id == 31 && r.Message.Contains(fixture.ClientThumbprint, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task Get_Forbidden_IsACertificateRejectionOnlyWhenOptedIn(bool optIn, bool expectRejection)
    {
        await using var server = await StartServerAsync(context => RespondAsync(context, StatusCodes.Status403Forbidden));
        using var host = await StartClientAsync(server, o => o.Retry.TreatForbiddenAsCertificateRejection = optIn);

        using var response = await GetWhoAmIAsync(host);

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        server.Reports.Should().ContainSingle();
        host.Services.GetFakeLogCollector().GetSnapshot().Any(r => r.Id.Id == 31).Should().Be(expectRejection);
    }

    private async Task<MtlsTestServer> StartServerAsync(Func<HttpContext, Task<bool>> handler)
        => await MtlsTestServer.StartAsync(fixture.Ca, o => o.RequestHandler = handler);

    private async Task<IHost> StartClientAsync(MtlsTestServer server, Action<ClientCertHttpOptions>? configure = null, Action<IServiceCollection>? services = null)
        => await MtlsFixture.StartHostAsync(s =>
        {
            s.AddLogging(logging => logging.AddFakeLogging());
            services?.Invoke(s);
            s.AddClientCertHttpClient("payments", o =>
            {
                fixture.Configure(o);
                o.BaseAddress = server.BaseAddress;

                // Tiny, predictable delays: the tests count attempts, not wait for them.
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
                o.Retry.UseJitter = false;
                configure?.Invoke(o);
            });
        });

    /// <summary>One GET through a client from the factory; the response is buffered, so it outlives the client.</summary>
    private static async Task<HttpResponseMessage> GetWhoAmIAsync(IHost host)
    {
        using var client = CreateClient(host);
        return await client.GetAsync(WhoAmI);
    }

    private static HttpClient CreateClient(IHost host) => host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

    /// <summary>Keeps the request open until the client gives up on it.</summary>
    private static async Task<bool> HoldUntilAbortedAsync(HttpContext context)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client gave up on this attempt.
        }

        return true;
    }

    private static async Task<bool> RespondAsync(HttpContext context, int status, string? body = null)
    {
        context.Response.StatusCode = status;
        if (body is not null)
        {
            context.Response.ContentType = "text/html";
            context.Response.ContentLength = System.Text.Encoding.UTF8.GetByteCount(body);
            await context.Response.WriteAsync(body);
        }

        return true;
    }
}
