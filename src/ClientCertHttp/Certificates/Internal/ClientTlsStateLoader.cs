using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Trust;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Loads one client's TLS state from its options: the certificate from its one source and the server trust
/// settings. A load either returns a complete state or throws a <see cref="ClientCertificateException"/> listing every
/// problem, and keeps nothing when it throws. It has no state of its own: the client's
/// <see cref="ClientCertificateSource"/> decides when to load.
/// </summary>
internal sealed class ClientTlsStateLoader(
    string clientName,
    bool isDevelopment,
    string environmentName,
    IReadOnlyList<IServerCertificateValidator> validators,
    TimeProvider timeProvider,
    ILogger logger,
    IServiceProvider services,
    ClientCertHttpInstruments instruments,
    ICertificateProvider? identityProvider = null)
{
    /// <summary>Makes the loader of one identity of the client: the same trust and validators, the identity's provider.</summary>
    public ClientTlsStateLoader ForIdentity(ICertificateProvider? provider) =>
        new(clientName, isDevelopment, environmentName, validators, timeProvider, logger, services, instruments, provider);

    /// <summary>Loads the certificate and trust settings the options describe.</summary>
    /// <param name="options">The client's options, already checked by <see cref="ClientCertHttpOptionsValidator"/>.</param>
    /// <param name="source">The one certificate source the check found.</param>
    /// <exception cref="ClientCertificateException">The certificate or the trust settings cannot be used.</exception>
    public ClientTlsState Load(ClientCertHttpOptions options, CertificateSourceKind source)
    {
        var names = SettingNames.For(clientName, options);
        var problems = new List<ClientCertificateException>();
        var trustOptions = options.ServerTrust ?? new ServerTrustOptions();
        ServerTrustSettings? trust = null;
        LoadedClientCertificate? certificate = null;
        try
        {
            trust = ServerTrustPolicy.Create(names, trustOptions, isDevelopment, validators.Count, problems);
            try
            {
                var certificateOptions = options.Certificate ?? new ClientCertificateOptions();
                var context = new CertificateLoadContext(names, certificateOptions, timeProvider.GetUtcNow(), logger, services) { Provider = identityProvider };
                certificate = source == CertificateSourceKind.None ? null : CertificateSourceLoader.Load(context, source);
            }
            catch (ClientCertificateException ex)
            {
                problems.Add(ex);
            }

            if (problems.Count > 0 || (certificate is null && source != CertificateSourceKind.None) || trust is null)
            {
                throw ClientCertificateException.Combine(clientName, problems);
            }

            var verifier = new ServerCertificateVerifier(clientName, trust, [.. validators], logger, instruments);
            var state = new ClientTlsState(certificate, trust, verifier);
            certificate = null;
            var settings = trust;
            trust = null;
            if (state.Certificate is { } loaded)
            {
                LogLoaded(loaded);
            }

            ServerTrustPolicy.LogConfigured(logger, clientName, trustOptions, settings, validators.Count, environmentName);
            return state;
        }
        finally
        {
            certificate?.Dispose();
            trust?.Dispose();
        }
    }

    private void LogLoaded(LoadedClientCertificate loaded)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        var leaf = loaded.Certificate;
        var sent = string.Join(" <- ", loaded.Context.IntermediateCertificates.Select(c => $"'{c.Subject}'").Prepend($"'{leaf.Subject}'"));
        Log.ClientCertificateLoaded(logger, clientName, loaded.Source, leaf.Subject, leaf.Thumbprint, new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), loaded.ChainLength, sent);
    }
}
