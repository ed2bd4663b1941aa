/** Makes the embedded backend available to this build (imported by the full Worker's entry). */
import { provideEmbedded } from "../embedded-provider";
import { embeddedBackend } from "./index";

provideEmbedded({ backend: embeddedBackend });
