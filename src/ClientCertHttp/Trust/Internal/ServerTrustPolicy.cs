using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Trust;

/// <summary>
/// Turns <see cref="ServerTrustOptions"/> into the <see cref="X509ChainPolicy"/> that <see cref="System.Net.Security.SslStream"/>
/// uses for its one chain build per handshake, plus the extra checks the validation callback applies to that chain.
/// Host name validation stays with SslStream and is never switched off here.
/// </summary>
internal static class ServerTrustPolicy
{
    private const string RootsKey = "ServerTrust:RootCertificatesPath";
    private const string RootsBase64Key = "ServerTrust:RootCertificatesBase64";
    private const string IntermediatesKey = "ServerTrust:IntermediateCertificatesPath";
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";
    private static readonly TimeSpan MaxRevocationTimeout = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Builds the trust settings, or returns <see langword="null"/> when there are problems, which are added to
    /// <paramref name="problems"/>.
    /// </summary>
    /// <param name="names">Names settings in messages.</param>
    /// <param name="options">The options.</param>
    /// <param name="isDevelopment">Whether the host environment allows <see cref="ServerTrustOptions.DangerousAcceptAnyServerCertificate"/>.</param>
    /// <param name="validatorCount">The number of validators registered for the client.</param>
    /// <param name="problems">Collects problems.</param>
    public static ServerTrustSettings? Create(SettingNames names, ServerTrustOptions options, bool isDevelopment, int validatorCount, List<ClientCertificateException> problems)
    {
        var before = problems.Count;
        void Problem(string message, string? source = null) =>
            problems.Add(new ClientCertificateException(names.ClientName, ClientCertificateFailureReason.InvalidServerTrust, $"{names.Prefix}: {message}", source));

        if (!Enum.IsDefined(options.Mode))
        {
            Problem($"{names["ServerTrust:Mode"]} has the unknown value {(int)options.Mode}; use System, CustomRoots or SystemAndCustomRoots.");
            return null;
        }

        if (!Enum.IsDefined(options.RevocationMode))
        {
            Problem($"{names["ServerTrust:RevocationMode"]} has the unknown value {(int)options.RevocationMode}; use NoCheck, Offline or Online.");
        }

        if (options.RevocationTimeout <= TimeSpan.Zero || options.RevocationTimeout > MaxRevocationTimeout)
        {
            Problem($"{names["ServerTrust:RevocationTimeout"]} is {options.RevocationTimeout}; it must be more than zero and at most {MaxRevocationTimeout} so that an unreachable revocation endpoint cannot hang handshakes.");
        }

        if (options.MinimumRsaKeySize is < 512 or > 16384)
        {
            Problem($"{names["ServerTrust:MinimumRsaKeySize"]} is {options.MinimumRsaKeySize}; use a size in bits between 512 and 16384 (2048 is the default).");
        }

        if (options.DangerousAcceptAnyServerCertificate && !isDevelopment)
        {
            Problem($"{names["ServerTrust:DangerousAcceptAnyServerCertificate"]} is true, which turns off server certificate validation, and is only allowed when the host environment is Development (IHostEnvironment, or DOTNET_ENVIRONMENT / ASPNETCORE_ENVIRONMENT without a host). Trust the server's CA with ServerTrust:Mode CustomRoots instead.");
        }

        if (options.ValidatorsReplaceBuiltInVerdict && validatorCount == 0)
        {
            Problem($"{names["ServerTrust:ValidatorsReplaceBuiltInVerdict"]} is true but the client has no server certificate validator (AddServerCertificateValidator), so nothing would decide.");
        }

        var pins = ParsePins(names, options.PinnedPublicKeys, Problem);
        var identities = ParseIdentities(names, options.AllowedServerIdentities, Problem);

        var custom = options.Mode != ServerTrustMode.System;
        var roots = new X509Certificate2Collection();
        var intermediates = new X509Certificate2Collection();
        try
        {
            if (!custom)
            {
                foreach (var (key, set) in new[] { (RootsKey, options.RootCertificatesPath), (RootsBase64Key, options.RootCertificatesBase64), ("ServerTrust:Store", options.Store) })
                {
                    if (!string.IsNullOrWhiteSpace(set))
                    {
                        Problem($"{names[key]} is set but {names["ServerTrust:Mode"]} is System, so the roots would be ignored. Set the mode to CustomRoots or SystemAndCustomRoots, or remove the setting.");
                    }
                }
            }
            else
            {
                LoadRoots(names, options, roots, problems);
                if (roots.Count == 0 && problems.Count == before)
                {
                    Problem($"{names["ServerTrust:Mode"]} is {options.Mode} but no root certificate is configured. Set {names[RootsKey]} to a PEM or DER file with the root certificates the server's chain ends at (or {names[RootsBase64Key]}, or {names["ServerTrust:Store"]} with {names["ServerTrust:Thumbprint"]}).");
                }
            }

            if (!string.IsNullOrWhiteSpace(options.IntermediateCertificatesPath))
            {
                TryAdd(problems, intermediates, () => LoadFile(names, IntermediatesKey, options.IntermediateCertificatesPath, "intermediate"));
            }

            if (problems.Count > before)
            {
                Dispose(roots, intermediates);
                return null;
            }
        }
        catch
        {
            Dispose(roots, intermediates);
            throw;
        }

        var policy = new X509ChainPolicy
        {
            RevocationMode = options.RevocationMode,
            RevocationFlag = X509RevocationFlag.ExcludeRoot,
            UrlRetrievalTimeout = options.RevocationTimeout,
        };
        // The chain must allow server authentication. Observed on .NET 10: SslStream also adds serverAuth to a
        // caller-supplied policy whose ApplicationPolicy is empty; naming it here keeps the policy complete on its own.
        policy.ApplicationPolicy.Add(new Oid(ServerAuthenticationOid));
        policy.ExtraStore.AddRange(intermediates);
        if (options.Mode == ServerTrustMode.CustomRoots)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(roots);

            // A private PKI's chain is complete with the configured roots and intermediates: nothing is fetched from
            // URLs the server's certificates name (AIA issuers, CRLs), unless online revocation checking asked for it.
            policy.DisableCertificateDownloads = options.RevocationMode != X509RevocationMode.Online;
        }
        else if (options.Mode == ServerTrustMode.SystemAndCustomRoots)
        {
            // One chain build serves both: the system store decides, and a chain that ends at one of the custom roots
            // (reported as an untrusted root, because the root is only in ExtraStore) is accepted by the callback.
            policy.ExtraStore.AddRange(roots);
        }

        return new ServerTrustSettings
        {
            ChainPolicy = policy,
            CustomRoots = roots,
            Intermediates = intermediates,
            AcceptCustomRootsInSystemMode = options.Mode == ServerTrustMode.SystemAndCustomRoots,
            Pins = pins,
            AllowedIdentities = identities,
            DangerousAcceptAny = options.DangerousAcceptAnyServerCertificate,
            AllowSha1 = options.AllowSha1SignedServerCertificate,
            MinimumRsaKeySize = options.MinimumRsaKeySize,
            AllowWithoutSubjectAlternativeName = options.AllowServerCertificateWithoutSubjectAlternativeName,
            AllowCertificateAuthority = options.AllowCertificateAuthorityAsServerCertificate,
            AllowCertificateSigningKey = options.AllowCertificateSigningKeyAsServerCertificate,
            AllowWithoutExtendedKeyUsage = options.AllowServerCertificateWithoutExtendedKeyUsage,
            AllowWildcardNameConstraintOverlap = options.AllowWildcardNameConstraintOverlap,
            ValidatorsReplaceBuiltInVerdict = options.ValidatorsReplaceBuiltInVerdict,
        };
    }

    private static byte[][] ParsePins(SettingNames names, IList<string>? pins, Action<string, string?> problem)
    {
        var result = new List<byte[]>();
        for (var i = 0; i < (pins?.Count ?? 0); i++)
        {
            var pin = pins![i]?.Trim() ?? string.Empty;
            var bytes = new byte[32];
            if (!Convert.TryFromBase64String(pin, bytes, out var written) || written != 32)
            {
                problem($"{names[$"ServerTrust:PinnedPublicKeys:{i}"]} ('{pin}') is not the base64 of a SHA-256 hash (32 bytes). Generate it with: openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64", null);
                continue;
            }

            result.Add(bytes);
        }

        return [.. result];
    }

    private static ServerIdentity[] ParseIdentities(SettingNames names, IList<string>? entries, Action<string, string?> problem)
    {
        var result = new List<ServerIdentity>();
        for (var i = 0; i < (entries?.Count ?? 0); i++)
        {
            var identity = ServerIdentity.Parse(entries![i] ?? string.Empty, out var error);
            if (identity is null)
            {
                problem($"{names[$"ServerTrust:AllowedServerIdentities:{i}"]}: {error}.", null);
                continue;
            }

            result.Add(identity);
        }

        return [.. result];
    }

    private static void LoadRoots(SettingNames names, ServerTrustOptions options, X509Certificate2Collection roots, List<ClientCertificateException> problems)
    {
        if (!string.IsNullOrWhiteSpace(options.RootCertificatesPath))
        {
            TryAdd(problems, roots, () => LoadFile(names, RootsKey, options.RootCertificatesPath, "root"));
        }

        if (!string.IsNullOrWhiteSpace(options.RootCertificatesBase64))
        {
            TryAdd(problems, roots, () => LoadBase64(names, options.RootCertificatesBase64));
        }

        if (!string.IsNullOrWhiteSpace(options.Store) || !string.IsNullOrWhiteSpace(options.Thumbprint))
        {
            TryAdd(problems, roots, () => LoadFromStore(names, options));
        }
    }

    private static void TryAdd(List<ClientCertificateException> problems, X509Certificate2Collection target, Func<X509Certificate2Collection> load)
    {
        try
        {
            target.AddRange(load());
        }
        catch (ClientCertificateException ex)
        {
            problems.Add(ex);
        }
    }

    private static X509Certificate2Collection LoadFile(SettingNames names, string settingKey, string path, string kind)
    {
        var fullPath = CertificateFile.ResolvePath(path);
        var key = names[settingKey];
        var bytes = CertificateFile.ReadAllBytes(names, key, fullPath);
        return Parse(names, bytes, $"the {kind} certificate file '{fullPath}' ({key})", fullPath);
    }

    private static X509Certificate2Collection LoadBase64(SettingNames names, string base64)
    {
        var key = names[RootsBase64Key];
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new ClientCertificateException(names.ClientName, ClientCertificateFailureReason.InvalidServerTrust, $"{names.Prefix}: {key} is not valid base64; it must be the base64 of a DER certificate or of a PEM bundle.");
        }

        return Parse(names, bytes, key, source: null);
    }

    private static X509Certificate2Collection LoadFromStore(SettingNames names, ServerTrustOptions options)
    {
        var storeKey = names["ServerTrust:Store"];
        var thumbprintKey = names["ServerTrust:Thumbprint"];
        if (string.IsNullOrWhiteSpace(options.Store) || string.IsNullOrWhiteSpace(options.Thumbprint))
        {
            throw new ClientCertificateException(names.ClientName, ClientCertificateFailureReason.InvalidServerTrust, $"{names.Prefix}: {storeKey} and {thumbprintKey} go together: set both to take a root certificate from a store.");
        }

        var thumbprint = Thumbprints.Normalize(names, thumbprintKey, options.Thumbprint);
        var source = $"{options.Location}/{options.Store} thumbprint {thumbprint}";
        try
        {
            using var store = new X509Store(options.Store, options.Location);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            var found = new X509Certificate2Collection();
            foreach (var certificate in store.Certificates)
            {
                if (found.Count == 0 && Thumbprints.Matches(certificate, thumbprint))
                {
                    found.Add(certificate);
                }
                else
                {
                    certificate.Dispose();
                }
            }

            return found.Count > 0
                ? found
                : throw new ClientCertificateException(names.ClientName, ClientCertificateFailureReason.CertificateNotFound, $"{names.Prefix}: no certificate with thumbprint {thumbprint} ({thumbprintKey}) is in the store {options.Location}/{options.Store} ({storeKey}).", source);
        }
        catch (CryptographicException ex)
        {
            throw new ClientCertificateException(names.ClientName, ClientCertificateFailureReason.InvalidServerTrust, $"{names.Prefix}: the certificate store {options.Location}/{options.Store} ({storeKey}) cannot be opened: {ex.Message}", source);
        }
    }

    /// <summary>The most PEM sections a trust bundle may have (a system CA bundle has about 150).</summary>
    private const int MaxRootSections = 1024;

    private static X509Certificate2Collection Parse(SettingNames names, byte[] bytes, string what, string? source)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            if (bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0)
            {
                var text = Encoding.ASCII.GetString(bytes);

                // A bundle of system roots has a few hundred sections; the scan keeps the platform's parse linear.
                if (PemScan.Check(text, MaxRootSections) is { } problem)
                {
                    throw new ClientCertificateException(names.ClientName, ClientCertificateFailureReason.InvalidServerTrust, $"{names.Prefix}: {what} is not PEM that can be read: {problem}.", source);
                }

                certificates.ImportFromPem(text);
            }
            else
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(bytes));
            }
        }
        catch (CryptographicException ex)
        {
            Dispose(certificates);
            throw new ClientCertificateException(names.ClientName, ClientCertificateFailureReason.InvalidServerTrust, $"{names.Prefix}: {what} cannot be read as PEM or DER certificates ({ex.Message}).", source);
        }

        if (certificates.Count == 0)
        {
            throw new ClientCertificateException(names.ClientName, ClientCertificateFailureReason.InvalidServerTrust, $"{names.Prefix}: {what} contains no '-----BEGIN CERTIFICATE-----' block.", source);
        }

        return certificates;
    }

    private static void Dispose(params X509Certificate2Collection[] collections)
    {
        foreach (var certificate in collections.SelectMany(c => c))
        {
            certificate.Dispose();
        }
    }

    /// <summary>Logs how a freshly loaded trust configuration validates the server: once per load, never per handshake.</summary>
    public static void LogConfigured(ILogger logger, string clientName, ServerTrustOptions options, ServerTrustSettings trust, int validatorCount, string environmentName)
    {
        if (trust.CustomRoots.Count > 0 && logger.IsEnabled(LogLevel.Information))
        {
            var subjects = string.Join(", ", trust.CustomRoots.Select(r => $"'{r.Subject}'"));
            Log.ServerTrustCustomRoots(logger, clientName, trust.CustomRoots.Count, subjects);
        }

        Log.ServerTrustConfigured(logger, clientName, options.Mode, options.RevocationMode, options.RevocationTimeout, trust.Pins.Length, trust.AllowedIdentities.Length, validatorCount);
        if (trust.DangerousAcceptAny)
        {
            Log.DangerousAcceptAnyServerCertificateEnabled(logger, clientName, environmentName);
        }

        if (trust.ValidatorsReplaceBuiltInVerdict)
        {
            Log.ValidatorsReplaceBuiltInVerdict(logger, clientName, validatorCount);
        }
    }
}
