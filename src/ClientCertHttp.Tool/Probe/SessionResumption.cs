using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace ClientCertHttp.Tool.Probe;

/// <summary>
/// Tells whether a client <see cref="SslStream"/> resumed an earlier TLS session. .NET does not expose it, so on Linux
/// the answer comes from OpenSSL's <c>SSL_session_reused</c> through the runtime's own OpenSSL shim; elsewhere (or if
/// the runtime's internals change) the answer is "unknown", never a guess.
/// </summary>
internal static partial class SessionResumption
{
    // .NET 10 on Unix: SslStream._securityContext is the SafeSslHandle that wraps OpenSSL's SSL*.
    private static readonly FieldInfo? SecurityContextField =
        typeof(SslStream).GetField("_securityContext", BindingFlags.Instance | BindingFlags.NonPublic);

    public static bool? WasResumed(SslStream stream)
    {
        if (!OperatingSystem.IsLinux() || SecurityContextField?.GetValue(stream) is not SafeHandle { IsInvalid: false, IsClosed: false } handle
            || handle.GetType().Name != "SafeSslHandle")
        {
            return null;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return SslSessionReused(handle.DangerousGetHandle()) == 1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    // The runtime's OpenSSL shim, shipped in the shared framework folder; a thin wrapper over SSL_session_reused.
    [LibraryImport("libSystem.Security.Cryptography.Native.OpenSsl", EntryPoint = "CryptoNative_SslSessionReused")]
    private static partial int SslSessionReused(IntPtr ssl);
}
