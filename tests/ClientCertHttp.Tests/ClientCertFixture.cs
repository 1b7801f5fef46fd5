using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.Tests;

/// <summary>A run-time CA, a temp folder and helpers shared by the tests of one class.</summary>
public sealed class ClientCertFixture : IDisposable
{
    /// <summary>A password distinctive enough that finding it in a message or log proves a leak.</summary>
    public const string Password = "Pfx-Pa55w0rd-9c41e";

    public ClientCertFixture()
    {
        Ca = TestCertificateAuthority.Create("ClientCertHttp Unit");
        Temp = new TempDirectory();
    }

    public TestCertificateAuthority Ca { get; }

    public TempDirectory Temp { get; }

    /// <summary>Writes a PFX of a freshly issued client certificate (with the intermediate) and returns its path.</summary>
    public string WriteClientPfx(string fileName = "client.pfx", Action<TestCertificateOptions>? configure = null, string? password = Password)
    {
        using var leaf = Ca.IssueClientCertificate("CN=unit-client", configure);
        return Ca.WritePfx(Temp.Combine(Guid.NewGuid().ToString("N") + "-" + fileName), leaf, password);
    }

    public static IHost BuildHost(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        configure(builder.Services);
        return builder.Build();
    }

    /// <summary>Starts a host and returns the exception its startup validation threw.</summary>
    public static async Task<Exception> StartupFailureAsync(Action<IServiceCollection> configure)
    {
        using var host = BuildHost(configure);
        try
        {
            await host.StartAsync();
        }
        catch (Exception ex)
        {
            // Caught by hand: FluentAssertions unwraps AggregateException, and its shape is part of what is tested.
            return ex;
        }

        await host.StopAsync();
        throw new Xunit.Sdk.XunitException("The host started, but a startup validation failure was expected.");
    }

    public static async Task<ClientCertificateException> StartupCertificateFailureAsync(Action<IServiceCollection> configure)
    {
        var failure = await StartupFailureAsync(configure);
        return failure.Should().BeOfType<ClientCertificateException>().Subject;
    }

    /// <summary>Finds the SocketsHttpHandler that new requests of a factory-built pipeline go to.</summary>
    public static SocketsHttpHandler PrimaryHandler(HttpMessageHandler handler)
    {
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }

        return handler.Should().BeOfType<ClientCertHttp.Handler.RotatingClientCertificateHandler>().Subject.CurrentHandler;
    }

    public static X509Certificate2 PublicOnly(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);

    public void Dispose()
    {
        Temp.Dispose();
        Ca.Dispose();
    }
}
