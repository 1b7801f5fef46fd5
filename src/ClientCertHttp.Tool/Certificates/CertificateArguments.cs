using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClientCertHttp.Tool.Certificates;

/// <summary>
/// The certificate options shared by <c>inspect</c> and <c>probe</c>, turned into the library's
/// <see cref="ClientCertificateOptions"/> and loaded by the library's own loaders, so the tool sees exactly what an
/// application would load, with the same typed errors.
/// </summary>
internal sealed class CertificateArguments
{
    /// <summary>The client name the library's messages carry ("HTTP client 'clientcert': …").</summary>
    public const string ClientName = "clientcert";

    /// <summary>What to do about a password error: the library's messages name the configuration key instead.</summary>
    private const string PasswordHint = "clientcert reads the password from the environment variable named by --password-env VAR, or asks for it when run in a terminal; it never takes a password on the command line.";

    private const string StorePrefix = "store:";

    /// <summary>The tool's own advice for a certificate error, when it has any.</summary>
    public static string? HintFor(ClientCertificateException exception) =>
        exception.Reason == ClientCertificateFailureReason.WrongPassword ? PasswordHint : null;

    public Option<string?> Key { get; } = new("--key") { Description = "PEM private key of the certificate (PEM certificate files only).", HelpName = "key.pem" };

    public Option<string?> Chain { get; } = new("--chain") { Description = "PEM bundle of intermediate CA certificates sent after a PEM certificate.", HelpName = "chain.pem" };

    public Option<string?> PasswordEnv { get; } = new("--password-env")
    {
        Description = "Name of the environment variable that holds the PFX or encrypted key password. Without it, clientcert asks for the password (no echo) when one is needed and the input is a terminal.",
        HelpName = "VAR",
    };

    public Option<string?> PasswordFile { get; } = new("--password-file")
    {
        Description = "File that holds the PFX or encrypted key password, read exactly as Certificate:PasswordFile is (for example a mounted Kubernetes secret key).",
        HelpName = "file",
    };

    public Option<string?> Store { get; } = new("--store") { Description = "Certificate store name (My, …), with --thumbprint or --subject.", HelpName = "name" };

    public Option<StoreLocation?> Location { get; } = new("--location") { Description = "Store location: CurrentUser (default) or LocalMachine.", HelpName = "location" };

    public Option<string?> Thumbprint { get; } = new("--thumbprint") { Description = "SHA-1 or SHA-256 thumbprint: finds the certificate in --store, or picks one of several keyed certificates in a PFX.", HelpName = "hex" };

    public Option<string?> Subject { get; } = new("--subject") { Description = "Subject substring to find in --store (Kestrel's matching: valid, with key, clientAuth, latest expiry wins).", HelpName = "text" };

    public IEnumerable<Option> All => [Key, Chain, PasswordEnv, PasswordFile, Store, Location, Thumbprint, Subject];

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>
    /// Builds the library's options from the command line: a folder is a Kubernetes TLS secret, <c>store:…</c> a
    /// store query, a PEM file whose first block is a private key a Kubernetes Pod Certificates credential bundle, any
    /// other value a file (PKCS#12, or PEM with <c>--key</c> or a key in the same file).
    /// </summary>
    /// <returns>The options, or <see langword="null"/> when no certificate was given at all.</returns>
    /// <exception cref="CommandLineException">The arguments contradict each other or the store query is malformed.</exception>
    public ClientCertificateOptions? Read(ParseResult result, string? target)
    {
        var options = new ClientCertificateOptions
        {
            Store = result.GetValue(Store),
            Location = result.GetValue(Location),
            Thumbprint = result.GetValue(Thumbprint),
            Subject = result.GetValue(Subject),
            PasswordFile = result.GetValue(PasswordFile),
        };

        if (string.IsNullOrWhiteSpace(target))
        {
            return options.Store is null && options.Subject is null ? null : options;
        }

        if (target.StartsWith(StorePrefix, StringComparison.OrdinalIgnoreCase))
        {
            ReadStoreQuery(target, options);
        }
        else if (System.IO.Directory.Exists(target))
        {
            options.Directory = target;
        }
        else if (result.GetValue(Key) is null && result.GetValue(Chain) is null && PemHolding(target) == PemContent.KeyFirst)
        {
            options.CredentialBundlePath = target;
        }
        else
        {
            options.Path = target;
            options.KeyPath = result.GetValue(Key);
            options.ChainPath = result.GetValue(Chain);
            if (options.KeyPath is null && PemHolding(target) != PemContent.NoKey)
            {
                // PEM text with the key inside (cert + key in one file): the same file serves as both.
                options.KeyPath = target;
            }
        }

        if ((options.KeyPath is not null || options.ChainPath is not null) && options.Path is null)
        {
            throw new CommandLineException("--key and --chain go with a PEM certificate file.");
        }

        if (options.PasswordFile is not null && result.GetValue(PasswordEnv) is not null)
        {
            throw new CommandLineException("Give the password with --password-env or --password-file, not both.");
        }

        return options;
    }

    /// <summary>
    /// Runs <paramref name="load"/> (one of the library's loaders) with the password from <c>--password-env</c>, or,
    /// when the library says a password is needed or wrong and the input is a terminal, with one typed at a prompt.
    /// </summary>
    /// <exception cref="ClientCertificateException">The library could not load the certificate.</exception>
    /// <exception cref="CommandLineException">The password variable is not set.</exception>
    public T Load<T>(ParseResult result, ClientCertificateOptions options, Func<ClientCertificateOptions, T> load, TextWriter prompt)
    {
        var variable = result.GetValue(PasswordEnv);
        if (variable is not null)
        {
            options.Password = Environment.GetEnvironmentVariable(variable)
                ?? throw new CommandLineException($"The environment variable '{variable}' (--password-env) is not set.");
        }

        try
        {
            return load(options);
        }
        catch (ClientCertificateException ex) when (ex.Reason == ClientCertificateFailureReason.WrongPassword && variable is null && options.PasswordFile is null && PasswordPrompt.CanPrompt)
        {
            options.Password = PasswordPrompt.Read(prompt, $"Password for {options.Path ?? options.Directory ?? options.CredentialBundlePath ?? "the certificate"}: ");
            return load(options);
        }
    }

    /// <summary>Loads the certificate for a handshake, exactly as a client's handlers get it (the library's loaders and checks).</summary>
    /// <exception cref="ClientCertificateException">The library could not load or accept the certificate.</exception>
    public static LoadedClientCertificate LoadForHandshake(ClientCertificateOptions options)
    {
        var names = new SettingNames(ClientName, ConfigurationPath: null);
        var sources = CertificateSources.Configured(options, providerCount: 0);
        if (sources.Count != 1)
        {
            throw new CommandLineException($"Give exactly one certificate source; got {string.Join(" and ", sources.Select(s => s.Setting))}.");
        }

        var context = new CertificateLoadContext(names, options, DateTimeOffset.UtcNow, NullLogger.Instance, Services: null);
        return CertificateSourceLoader.Load(context, sources[0].Kind);
    }

    /// <summary>Describes where the certificate comes from, for reports (never a secret).</summary>
    public static string DescribeSource(ClientCertificateOptions options) => options switch
    {
        { Directory: { } folder } => $"Kubernetes TLS secret folder '{Path.GetFullPath(folder)}'",
        { CredentialBundlePath: { } bundle } => $"Kubernetes Pod Certificates credential bundle '{Path.GetFullPath(bundle)}'",
        { Path: { } path, KeyPath: { } key } => $"PEM '{Path.GetFullPath(path)}' + key '{Path.GetFullPath(key)}'",
        { Path: { } path } => $"PKCS#12 file '{Path.GetFullPath(path)}'",
        _ => $"certificate store {options.Location ?? StoreLocation.CurrentUser}\\{options.Store ?? "My"}",
    };

    private static void ReadStoreQuery(string target, ClientCertificateOptions options)
    {
        // store:STORE/LOCATION/SELECTOR — SELECTOR is a thumbprint (40 or 64 hex digits) or a subject substring.
        var parts = target[StorePrefix.Length..].Split('/', 3);
        if (parts.Length != 3 || parts.Any(string.IsNullOrWhiteSpace))
        {
            throw new CommandLineException($"'{target}' is not a store query: write store:STORE/LOCATION/THUMBPRINT-OR-SUBJECT, for example store:My/CurrentUser/4A0EF4184620DF17BA764A3C1E3E6459B6E10592.");
        }

        if (!Enum.TryParse<StoreLocation>(parts[1], ignoreCase: true, out var location) || !Enum.IsDefined(location))
        {
            throw new CommandLineException($"'{parts[1]}' in '{target}' is not a store location: use CurrentUser or LocalMachine.");
        }

        options.Store = parts[0];
        options.Location = location;
        var selector = parts[2].Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal);
        if (selector.Length is 40 or 64 && selector.All(char.IsAsciiHexDigit))
        {
            options.Thumbprint = parts[2];
        }
        else
        {
            options.Subject = parts[2];
        }
    }

    /// <summary>Whether a PEM file holds a private key beside its certificates, and whether the key comes first (a credential bundle).</summary>
    private enum PemContent
    {
        NoKey,
        CertificateFirst,
        KeyFirst,
    }

    private static PemContent PemHolding(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length == 0 || info.Length > 4 * 1024 * 1024)
            {
                return PemContent.NoKey;
            }

            var text = File.ReadAllText(path);
            var certificate = text.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal);
            var key = text.IndexOf("PRIVATE KEY-----", StringComparison.Ordinal);
            return certificate < 0 || key < 0 ? PemContent.NoKey : key < certificate ? PemContent.KeyFirst : PemContent.CertificateFirst;
        }
        catch (IOException)
        {
            return PemContent.NoKey; // the library reports the unreadable file with its own message
        }
        catch (UnauthorizedAccessException)
        {
            return PemContent.NoKey;
        }
    }
}
