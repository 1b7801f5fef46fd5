using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ClientCertHttp.Tool;

/// <summary>Writes JSON and errors the same way for every command.</summary>
internal static class ToolOutput
{
    /// <summary>How the library's messages name the settings that are command-line options here.</summary>
    private const string SettingsHint = "(In clientcert, Certificate:Path is the certificate argument, Certificate:KeyPath is --key, Certificate:ChainPath is --chain, Certificate:Password comes from --password-env or the prompt, Certificate:PasswordFile is --password-file, Certificate:CredentialBundlePath is a certificate argument whose first PEM block is the key, and Certificate:Store/Location/Thumbprint/Subject are --store/--location/--thumbprint/--subject.)";

    /// <summary>Reports an error on standard error and, for <c>--json</c>, as a JSON object on standard output.</summary>
    /// <param name="message">What went wrong (the library's message for a certificate error).</param>
    /// <param name="hint">What to do, or <see langword="null"/>.</param>
    /// <param name="json">Whether the command was asked for JSON.</param>
    /// <param name="reason">The library's failure reason, or <c>CommandLine</c>.</param>
    /// <returns><see cref="ExitCodes.Errors"/>.</returns>
    public static int Error(string message, string? hint, bool json, string reason = "CommandLine")
    {
        if (json)
        {
            Console.Out.WriteLine(Json(new ToolError("Error", reason, message, hint, ExitCodes.Errors), ToolJsonContext.Default.ToolError));
        }

        Console.Error.WriteLine("error: " + message);
        if (hint is not null)
        {
            Console.Error.WriteLine("  " + hint);
        }
        else if (message.Contains("Certificate:", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("  " + SettingsHint);
        }

        return ExitCodes.Errors;
    }

    /// <summary>Serializes for a terminal or a pipe: indented, and quotes and apostrophes left readable.</summary>
    public static string Json<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var options = new JsonSerializerOptions(typeInfo.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return JsonSerializer.Serialize(value, (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)));
    }
}

/// <summary>The JSON printed instead of a report when a command fails before it has one.</summary>
internal sealed record ToolError(string Status, string Reason, string Message, string? Hint, int ExitCode);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(ToolError))]
internal sealed partial class ToolJsonContext : JsonSerializerContext;
