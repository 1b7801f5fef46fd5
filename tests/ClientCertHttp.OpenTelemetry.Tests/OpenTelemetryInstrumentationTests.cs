using System.Diagnostics;
using System.Net;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ClientCertHttp.OpenTelemetry.Tests;

/// <summary>
/// <c>AddClientCertHttpInstrumentation()</c> with the OpenTelemetry SDK and its in-memory exporter, against real
/// handshakes with a Kestrel server that requires a client certificate. The SDK listens process-wide, so each test
/// reads only the series of its own client name.
/// </summary>
public sealed class OpenTelemetryInstrumentationTests : IAsyncLifetime
{
    private const string Password = "Otel-Pfx-3b9d";

    private readonly ClientCertificateFiles _files = new("ClientCertHttp OpenTelemetry", Password);
    private MtlsTestServer _server = null!;

    public async Task InitializeAsync() => _server = await MtlsTestServer.StartAsync(_files.Ca);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task AddClientCertHttpInstrumentation_MeterProvider_ExportsTheHandshakeDurationOfARealHandshake()
    {
        const string client = "otel-handshake";
        _files.Pfx.IssueAndWrite("CN=otel-client");
        var exported = new List<MetricSnapshot>();
        using var host = await StartHostAsync(client, _server.BaseAddress, otel => otel.WithMetrics(m => m.AddClientCertHttpInstrumentation().AddInMemoryExporter(exported)));
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(client);

        for (var i = 0; i < 3; i++)
        {
            using var response = await http.GetAsync(new Uri("whoami", UriKind.Relative));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        host.Services.GetRequiredService<MeterProvider>().ForceFlush().Should().BeTrue();
        var handshakes = Single(exported, ClientCertHttpMetrics.TlsHandshakeDuration);
        handshakes.Unit.Should().Be("s");
        handshakes.MetricType.Should().Be(MetricType.Histogram);
        var point = PointsOf(handshakes, client).Should().ContainSingle().Which;
        point.GetHistogramCount().Should().Be(1, "three requests on one connection are one handshake");
        point.GetHistogramSum().Should().BePositive();
        Tags(point).Should().Contain(ClientCertHttpMetrics.TlsProtocolVersionTag, "1.3");
        var expiry = Single(exported, ClientCertHttpMetrics.TimeToExpiry);
        PointsOf(expiry, client).Should().ContainSingle().Which.GetGaugeLastValueDouble().Should().BePositive();
    }

    [Fact]
    public async Task AddClientCertHttpInstrumentation_MeterProvider_ExportsServerCertificateRejectionsAndFailures()
    {
        const string client = "otel-rejection";
        _files.Pfx.IssueAndWrite("CN=otel-client");
        using var wrongName = _files.Ca.IssueServerCertificate("CN=api.other.test", o =>
        {
            o.DnsNames = ["api.other.test"];
            o.IpAddresses = [];
        });
        await using var server = await MtlsTestServer.StartAsync(_files.Ca, o => o.ServerCertificate = wrongName);
        var exported = new List<MetricSnapshot>();
        using var host = await StartHostAsync(client, server.BaseAddress, otel => otel.WithMetrics(m => m.AddClientCertHttpInstrumentation().AddInMemoryExporter(exported)));
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(client);

        var act = () => http.GetAsync(new Uri("whoami", UriKind.Relative));

        await act.Should().ThrowAsync<ClientCertHttpRequestException>();
        host.Services.GetRequiredService<MeterProvider>().ForceFlush().Should().BeTrue();
        var rejection = PointsOf(Single(exported, ClientCertHttpMetrics.ServerCertificateRejections), client).Should().ContainSingle().Which;
        rejection.GetSumLong().Should().Be(1);
        Tags(rejection).Should().Contain(ClientCertHttpMetrics.ServerCertificateFailureReasonTag, "name_mismatch");
        var failure = PointsOf(Single(exported, ClientCertHttpMetrics.RequestFailures), client).Should().ContainSingle().Which;
        failure.GetSumLong().Should().Be(1);
        Tags(failure).Should().Contain(ClientCertHttpMetrics.FailureCategoryTag, "server_certificate_rejected");
    }

    [Fact]
    public async Task AddClientCertHttpInstrumentation_TracerProvider_ExportsOneSpanPerReloadWithItsOutcome()
    {
        const string client = "otel-reload";
        _files.Pfx.IssueAndWrite("CN=otel-before");
        var spans = new List<Activity>();
        using var host = await StartHostAsync(client, _server.BaseAddress, otel => otel.WithTracing(t => t.AddClientCertHttpInstrumentation().AddInMemoryExporter(spans)), reload: false);
        var reloader = host.Services.GetRequiredService<IClientCertificateReloader>();

        var renewed = _files.Pfx.IssueAndWrite("CN=otel-after", replace: true);
        (await reloader.ReloadAsync(client)).CurrentThumbprint.Should().Be(renewed);
        File.WriteAllText(_files.Pfx.Path, "not a certificate");
        (await reloader.ReloadAsync(client)).Succeeded.Should().BeFalse();

        host.Services.GetRequiredService<TracerProvider>().ForceFlush().Should().BeTrue();
        var ours = spans.Where(s => (string?)s.GetTagItem(ClientCertHttpMetrics.ClientNameTag) == client).ToList();
        ours.Should().HaveCount(2, "the first load at startup has no span; each reload has one");
        ours.Should().OnlyContain(s => s.OperationName == ClientCertHttpActivities.CertificateReload && s.Source.Name == ClientCertHttpActivities.ActivitySourceName && s.Kind == ActivityKind.Internal);
        ours.Select(s => (string?)s.GetTagItem(ClientCertHttpMetrics.TriggerTag)).Should().Equal("manual", "manual");
        ours.Select(s => (string?)s.GetTagItem(ClientCertHttpMetrics.ResultTag)).Should().Equal("changed", "failure");
        ours[0].Status.Should().Be(ActivityStatusCode.Unset);
        ours[1].Status.Should().Be(ActivityStatusCode.Error);
        ours[1].StatusDescription.Should().Contain(_files.Pfx.Path).And.NotContain(Password);
    }

    [Fact]
    public async Task OtlpExporterRecipe_HttpClientFactoryFromAClientCertHttpClient_PresentsTheClientCertificateToTheCollector()
    {
        // The README's "OTLP exporter over mTLS" recipe, with the mTLS test server standing in for the collector.
        const string client = "otlp";
        var leaf = _files.Pfx.IssueAndWrite("CN=otlp-exporter");
        using var host = await StartHostAsync(client, baseAddress: null, otel => otel.WithMetrics(m => m.AddClientCertHttpInstrumentation().AddOtlpExporter()), configure: services =>
            services.AddOptions<OtlpExporterOptions>().Configure<IHttpClientFactory>((otlp, clients) =>
            {
                otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
                otlp.Endpoint = new Uri(_server.BaseAddress, "v1/metrics");
                otlp.HttpClientFactory = () => clients.CreateClient(client);
            }));

        host.Services.GetRequiredService<MeterProvider>().ForceFlush().Should().BeTrue();

        var export = _server.Reports.Should().ContainSingle("one flush, one export request").Which;
        export.Thumbprint.Should().Be(leaf, "the exporter's requests go through the ClientCertHttp client");
        export.SentChain.Select(c => c.Thumbprint).Should().Equal(_files.Ca.Intermediate.Thumbprint);
    }

    private async Task<IHost> StartHostAsync(string client, Uri? baseAddress, Action<OpenTelemetryBuilder> otel, bool reload = true, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Production" });
        builder.Services.AddClientCertHttpClient(client, o =>
        {
            o.BaseAddress = baseAddress;
            o.Certificate.Path = _files.Pfx.Path;
            o.Certificate.Password = Password;
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = _files.RootPemPath;
            o.Reload.Enabled = reload;
        });
        otel(builder.Services.AddOpenTelemetry());
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static MetricSnapshot Single(List<MetricSnapshot> exported, string name) =>
        exported.Where(m => m.Name == name).Should().NotBeEmpty($"{name} is exported").And.Subject.Last();

    private static List<MetricPoint> PointsOf(MetricSnapshot metric, string client) =>
        metric.MetricPoints.Where(p => Tags(p).TryGetValue(ClientCertHttpMetrics.ClientNameTag, out var name) && (string?)name == client).ToList();

    private static Dictionary<string, object?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
        {
            tags[tag.Key] = tag.Value;
        }

        return tags;
    }
}
