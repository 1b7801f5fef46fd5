using System.Text;
using ClientCertHttp.DependencyInjection;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Reads <see cref="ClientCertificateOptions.PasswordFile"/> at the start of every load, so that a rotated secret is
/// used with the certificate it belongs to. The content is the password exactly as written, as a configured
/// <see cref="ClientCertificateOptions.Password"/> is: a trailing newline is kept, and reported by the readiness report
/// and by a wrong-password error.
/// </summary>
internal static class CertificatePassword
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Returns the context with the password file's content, when the options name one and the source uses a password.</summary>
    /// <exception cref="ClientCertificateException">Both passwords are set, or the file is missing, unreadable or not UTF-8 text.</exception>
    public static CertificateLoadContext Read(CertificateLoadContext context, CertificateSourceKind kind)
    {
        var file = context.Options.PasswordFile;
        if (string.IsNullOrWhiteSpace(file) || kind is CertificateSourceKind.Store or CertificateSourceKind.Provider or CertificateSourceKind.None)
        {
            return context;
        }

        if (HasConflict(context.Options))
        {
            throw Conflict(context.Names);
        }

        var key = context.Key("PasswordFile");
        var path = CertificateFile.ResolvePath(file);
        var bytes = CertificateFile.ReadAllBytes(context.Names, key, path, "password file");
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.InvalidFormat,
                $"{context.Prefix}: the password file '{path}' ({key}) is not UTF-8 text. Write the password into it as UTF-8 text.",
                path);
        }

        // A byte order mark is how an editor marked the encoding, not a character of the password.
        return context with { PasswordFromFile = (text.StartsWith('\uFEFF') ? text[1..] : text, path) };
    }

    /// <summary>Tells whether both the password and the password file are set.</summary>
    public static bool HasConflict(ClientCertificateOptions options) =>
        options.Password is not null && !string.IsNullOrWhiteSpace(options.PasswordFile);

    /// <summary>The error for a client that sets both the password and the password file, naming both keys.</summary>
    public static ClientCertificateException Conflict(SettingNames names) =>
        new(
            names.ClientName,
            ClientCertificateFailureReason.InvalidConfiguration,
            $"{names.Prefix}: both {names["Certificate:Password"]} and {names["Certificate:PasswordFile"]} are set. The password comes from one place: keep {names["Certificate:PasswordFile"]} for a mounted secret, or {names["Certificate:Password"]}, and remove the other.");
}
